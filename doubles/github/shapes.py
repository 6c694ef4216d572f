"""JSON for the accounts and the repository, in the shape of GitHub's published schemas
(simple-user, public-user, private-user, organization-full, full-repository).

The provider reads few of these fields, but its `github_repository` data source reads about 35, and
the double's own tests check every shape against the schemas, so the objects are complete.
`has_pages: false` and `license: null` keep the data source from calling /pages and /license.
"""

from __future__ import annotations

import base64

GITHUB = "https://github.com"


def node_id(kind: str, number: int) -> str:
    # GitHub's legacy global ids: base64 of "<len(kind):02d>:<kind><id>", e.g. MDQ6VXNlcjE= = "04:User1".
    return base64.b64encode(f"{len(kind):02d}:{kind}{number}".encode()).decode()


def simple_user(api: str, login: str, number: int, kind: str = "User") -> dict:
    url = f"{api}/users/{login}"
    return {
        "login": login, "id": number, "node_id": node_id(kind, number),
        "avatar_url": f"https://avatars.githubusercontent.com/u/{number}?v=4", "gravatar_id": "",
        "url": url, "html_url": f"{GITHUB}/{login}",
        "followers_url": f"{url}/followers", "following_url": f"{url}/following{{/other_user}}",
        "gists_url": f"{url}/gists{{/gist_id}}", "starred_url": f"{url}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{url}/subscriptions", "organizations_url": f"{url}/orgs",
        "repos_url": f"{url}/repos", "events_url": f"{url}/events{{/privacy}}",
        "received_events_url": f"{url}/received_events",
        "type": kind, "site_admin": False, "user_view_type": "public",
    }


def public_user(api: str, login: str, number: int, created_at: str, kind: str = "User") -> dict:
    return simple_user(api, login, number, kind) | {
        "name": None, "company": None, "blog": "", "location": None, "email": None,
        "hireable": None, "bio": None, "twitter_username": None,
        "public_repos": 0, "public_gists": 0, "followers": 0, "following": 0,
        "created_at": created_at, "updated_at": created_at,
    }


def private_user(api: str, login: str, number: int, created_at: str) -> dict:
    return public_user(api, login, number, created_at) | {
        "private_gists": 0, "total_private_repos": 1, "owned_private_repos": 1,
        "disk_usage": 0, "collaborators": 0, "two_factor_authentication": True,
    }


def organization(api: str, login: str, number: int, created_at: str) -> dict:
    url = f"{api}/orgs/{login}"
    return {
        "login": login, "id": number, "node_id": node_id("Organization", number), "url": url,
        "repos_url": f"{url}/repos", "events_url": f"{url}/events", "hooks_url": f"{url}/hooks",
        "issues_url": f"{url}/issues", "members_url": f"{url}/members{{/member}}",
        "public_members_url": f"{url}/public_members{{/member}}",
        "avatar_url": f"https://avatars.githubusercontent.com/u/{number}?v=4",
        "description": None, "has_organization_projects": True, "has_repository_projects": True,
        "public_repos": 0, "public_gists": 0, "followers": 0, "following": 0,
        "html_url": f"{GITHUB}/{login}", "type": "Organization",
        "created_at": created_at, "updated_at": created_at, "archived_at": None,
    }


# full-repository URL fields: (key, path under the repository URL). Templates as GitHub sends them.
_REPO_URLS = [
    ("archive_url", "/{archive_format}{/ref}"), ("assignees_url", "/assignees{/user}"),
    ("blobs_url", "/git/blobs{/sha}"), ("branches_url", "/branches{/branch}"),
    ("collaborators_url", "/collaborators{/collaborator}"), ("comments_url", "/comments{/number}"),
    ("commits_url", "/commits{/sha}"), ("compare_url", "/compare/{base}...{head}"),
    ("contents_url", "/contents/{+path}"), ("contributors_url", "/contributors"),
    ("deployments_url", "/deployments"), ("downloads_url", "/downloads"), ("events_url", "/events"),
    ("forks_url", "/forks"), ("git_commits_url", "/git/commits{/sha}"),
    ("git_refs_url", "/git/refs{/sha}"), ("git_tags_url", "/git/tags{/sha}"),
    ("issue_comment_url", "/issues/comments{/number}"), ("issue_events_url", "/issues/events{/number}"),
    ("issues_url", "/issues{/number}"), ("keys_url", "/keys{/key_id}"), ("labels_url", "/labels{/name}"),
    ("languages_url", "/languages"), ("merges_url", "/merges"), ("milestones_url", "/milestones{/number}"),
    ("notifications_url", "/notifications{?since,all,participating}"), ("pulls_url", "/pulls{/number}"),
    ("releases_url", "/releases{/id}"), ("stargazers_url", "/stargazers"),
    ("statuses_url", "/statuses/{sha}"), ("subscribers_url", "/subscribers"),
    ("subscription_url", "/subscription"), ("tags_url", "/tags"), ("teams_url", "/teams"),
    ("trees_url", "/git/trees{/sha}"), ("hooks_url", "/hooks"),
]


def repository(api: str, owner: dict, name: str, number: int, visibility: str, created_at: str) -> dict:
    full_name = f"{owner['login']}/{name}"
    url = f"{api}/repos/{full_name}"
    html = f"{GITHUB}/{full_name}"
    return {
        "id": number, "node_id": node_id("Repository", number), "name": name, "full_name": full_name,
        "owner": owner, "private": visibility != "public", "visibility": visibility,
        "html_url": html, "description": None, "fork": False, "url": url,
        **{key: url + path for key, path in _REPO_URLS},
        "git_url": f"git://github.com/{full_name}.git", "ssh_url": f"git@github.com:{full_name}.git",
        "clone_url": f"{html}.git", "svn_url": html, "mirror_url": None,
        "homepage": None, "language": None, "size": 0, "default_branch": "main",
        "forks_count": 0, "stargazers_count": 0, "watchers_count": 0, "open_issues_count": 0,
        "forks": 0, "open_issues": 0, "watchers": 0, "subscribers_count": 0, "network_count": 0,
        "is_template": False, "topics": [],
        "has_issues": True, "has_projects": False, "has_wiki": False, "has_pages": False,
        "has_downloads": True, "has_discussions": False,
        "archived": False, "disabled": False, "license": None,
        "pushed_at": created_at, "created_at": created_at, "updated_at": created_at,
        "permissions": {"admin": True, "maintain": True, "push": True, "triage": True, "pull": True},
        "allow_rebase_merge": True, "allow_squash_merge": True, "allow_merge_commit": True,
        "allow_auto_merge": False, "delete_branch_on_merge": False, "allow_update_branch": False,
        "allow_forking": True, "web_commit_signoff_required": False,
    }
