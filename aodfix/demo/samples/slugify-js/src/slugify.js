// Turn a title into a URL slug.
function slugify(title) {
  return title.trim().toLowerCase().replace(" ", "-");
}

module.exports = { slugify };
