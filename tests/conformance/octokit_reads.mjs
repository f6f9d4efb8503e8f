// Read what aodfix wrote to the GitHub emulator with Octokit (@octokit/rest), a client
// written independently of the emulator and of PyGithub, and print what it saw as JSON.
//
// Environment: GITHUB_API_URL (the emulator's /api/v3), GITHUB_TOKEN, OCTOKIT_PREFIX (the
// npm --prefix folder @octokit/rest is installed in), OCTOKIT_READS (JSON: owner, repo,
// branch, repo_query, code_query). test_octokit_reads.py runs it and asserts on the output.

import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const env = process.env;
// The package sits in the ignored .cache/, not beside this file, so resolve it from there.
const resolve = createRequire(join(env.OCTOKIT_PREFIX, "package.json")).resolve;
const { Octokit } = await import(pathToFileURL(resolve("@octokit/rest")).href);
const reads = JSON.parse(env.OCTOKIT_READS);
const { owner, repo, branch } = reads;

const octokit = new Octokit({ auth: env.GITHUB_TOKEN, baseUrl: env.GITHUB_API_URL });

const pullSummary = (pull) => ({
  number: pull.number,
  title: pull.title,
  body: pull.body,
  state: pull.state,
  draft: pull.draft,
  head: pull.head.ref,
  head_sha: pull.head.sha,
  base: pull.base.ref,
  labels: pull.labels.map((label) => label.name),
  author: pull.user.login,
});

const open = await octokit.rest.pulls.list({ owner, repo, state: "open" });
const byHead = await octokit.rest.pulls.list({ owner, repo, head: `${owner}:${branch}` });
const pulls = {};
for (const { number } of open.data) {
  const { data } = await octokit.rest.pulls.get({ owner, repo, pull_number: number });
  pulls[number] = { ...pullSummary(data), commits: data.commits, changed_files: data.changed_files };
}
const branches = await octokit.rest.repos.listBranches({ owner, repo });
const { data: oneBranch } = await octokit.rest.repos.getBranch({ owner, repo, branch });
const searchRepos = await octokit.rest.search.repos({ q: reads.repo_query });
const searchCode = await octokit.rest.search.code({ q: reads.code_query });

// octokit.paginate follows the Link headers (and unwraps search results' items).
const perPage = { per_page: 1 };
const names = (items) => items.map((item) => item.name);
const fullNames = (items) => items.map((item) => item.full_name);
const seen = {
  pulls_list: open.data.map(pullSummary),
  pulls_by_head: byHead.data.map(pullSummary),
  pulls: pulls,
  branches: names(branches.data),
  branch: { name: oneBranch.name, sha: oneBranch.commit.sha, protected: oneBranch.protected },
  search_repos: {
    total_count: searchRepos.data.total_count,
    incomplete_results: searchRepos.data.incomplete_results,
    full_names: fullNames(searchRepos.data.items),
  },
  search_code: {
    total_count: searchCode.data.total_count,
    items: searchCode.data.items.map((item) => [item.repository.full_name, item.path]),
  },
  paginated: {
    pulls: (await octokit.paginate(octokit.rest.pulls.list, { owner, repo, ...perPage })).map(
      (pull) => pull.number,
    ),
    branches: names(await octokit.paginate(octokit.rest.repos.listBranches, { owner, repo, ...perPage })),
    org_repos: fullNames(await octokit.paginate(octokit.rest.repos.listForOrg, { org: owner, ...perPage })),
    search_repos: fullNames(
      await octokit.paginate(octokit.rest.search.repos, { q: reads.repo_query, ...perPage }),
    ),
  },
};
process.stdout.write(JSON.stringify(seen));
