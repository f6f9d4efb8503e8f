// Parse the ?page= query parameter.
function pageNumber(value) {
  const page = parseInt(value, 10);
  return Number.isNaN(page) || page < 1 ? 1 : page;
}

module.exports = { pageNumber };
