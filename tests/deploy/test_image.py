"""The Dockerfile, checked without a container engine: its stages, what the final images
(the services' and the portal's) hold and run, and that everything it copies is in the
repository and in the build context that .dockerignore leaves."""

import json
import re
import tomllib
from dataclasses import dataclass, field

import pytest

from chorus import services
from portal.bootstrap import PACKAGES
from tests.deploy.manifests import REPO

SERVICES = tuple(services.discover())
FRONT_ENDS = tuple(services.frontends())
BUILD_TOOLS = re.compile(r"\b(apt-get|apt|apk|pip|uv|gcc|make|build-essential|curl|wget)\b")


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, instruction: str) -> list[str]:
        return [args for name, args in self.instructions if name == instruction]


def parse(text: str) -> tuple[dict[str, str], list[Stage]]:
    """The global ARGs and the stages of a Dockerfile (continuations joined)."""
    lines = re.sub(r"\\\n", " ", "\n".join(
        line for line in text.splitlines() if not line.lstrip().startswith("#")))
    arguments: dict[str, str] = {}
    stages: list[Stage] = []
    for line in lines.splitlines():
        if not line.strip():
            continue
        instruction, _, args = line.strip().partition(" ")
        instruction, args = instruction.upper(), " ".join(args.split())
        if instruction == "FROM":
            base, _, name = args.partition(" AS ")
            stages.append(Stage(base, name or None))
        elif stages:
            stages[-1].instructions.append((instruction, args))
        elif instruction == "ARG":
            key, _, value = args.partition("=")
            arguments[key] = value
    return arguments, stages


@pytest.fixture(scope="module")
def dockerfile() -> tuple[dict[str, str], list[Stage]]:
    return parse((REPO / "Dockerfile").read_text())


def expand(text: str, values: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: values.get(m[1] or m[2], m[0]), text)


def dockerfile_problems(text: str) -> list[str]:
    """What is wrong with a Dockerfile, against the image's rules."""
    arguments, stages = parse(text)
    names = [s.name for s in stages]
    if "build" not in names or names[-1] != "runtime":
        return ["needs a `build` stage and a final `runtime` stage"]
    build, final = stages[names.index("build")], stages[-1]
    found = []
    if final.base != build.base:
        found.append("the final stage must start from the build stage's Python image "
                     "(the environment's interpreter path)")
    if any(not re.search(r":[\w.-]+$", v) or v.endswith(":latest")
           for k, v in arguments.items() if k.endswith("_IMAGE")):
        found.append("every base image needs a version other than latest")
    if any(BUILD_TOOLS.search(run) for run in final.all("RUN")):
        found.append("the final stage must install nothing (no package managers or compilers)")
    if final.all("COPY") != ["--from=build /app/.venv /app/.venv"]:
        found.append("the final stage copies the built environment and nothing else")
    users = final.all("USER")
    if len(users) != 1 or not re.fullmatch(r"[1-9]\d*:[1-9]\d*", users[0]):
        found.append("the final stage must run as a numeric non-root user")
    commands = final.all("CMD")
    if len(commands) != 1 or "exec chorus serve" not in commands[0] or final.all("ENTRYPOINT"):
        found.append("the image must run `chorus serve <service>`")
    env = " ".join(final.all("ENV"))
    for wanted in ("CHORUS_IMAGE_SERVICE=${SERVICE}", "PYTHONDONTWRITEBYTECODE=1",
                   "PATH=/app/.venv/bin:"):
        if wanted not in env:
            found.append(f"the final stage must set {wanted}")
    syncs = [run for run in build.all("RUN") if "uv sync" in run]
    if len(syncs) != 2 or not all(
            "--frozen" in sync and "--no-dev" in sync and '--package "chorus-${SERVICE}"' in sync
            for sync in syncs):
        found.append("the build installs the chosen service from the lock: "
                     '`uv sync --frozen --no-dev --package "chorus-${SERVICE}"`')
    elif "--no-install-workspace" not in syncs[0] or "--no-editable" not in syncs[1]:
        found.append("dependencies first (--no-install-workspace), then the packages "
                     "themselves, not as links to the sources (--no-editable)")
    if "UV_PROJECT_ENVIRONMENT=/app/.venv" not in " ".join(build.all("ENV")):
        found.append("the build must make its environment in /app/.venv")
    return found


def test_the_dockerfile_follows_the_rules() -> None:
    assert dockerfile_problems((REPO / "Dockerfile").read_text()) == []


@pytest.mark.parametrize(("change", "message"), [
    (("USER 10001:10001", "USER root"), "non-root"),
    (("USER 10001:10001", "USER 0:0"), "non-root"),
    (("WORKDIR /tmp\n", "WORKDIR /tmp\nRUN apt-get update && apt-get install -y gcc\n"),
     "install nothing"),
    (("COPY --from=build /app/.venv /app/.venv", "COPY --from=build /app/.venv /app/.venv\n"
      "COPY --from=uv /uv /usr/local/bin/uv"), "nothing else"),
    (("exec chorus serve", "exec chorus up"), "chorus serve"),
    (("--no-dev --no-editable", "--no-editable"), "uv sync --frozen --no-dev"),
    (("uv sync --frozen --no-dev --no-editable", "uv sync --frozen --no-dev"), "--no-editable"),
    (("python:3.11-slim-bookworm", "python:latest"), "other than latest"),
    (("FROM ${PYTHON_IMAGE} AS runtime", "FROM debian:bookworm-slim AS runtime"),
     "interpreter path"),
])
def test_a_broken_dockerfile_is_caught(change: tuple[str, str], message: str) -> None:
    text = (REPO / "Dockerfile").read_text()
    old, new = change
    assert old in text
    before, _, after = text.rpartition(old)  # the last: the services' stage comes last

    assert any(message in problem for problem in dockerfile_problems(before + new + after))


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_is_a_workspace_package_the_build_can_choose(service: str) -> None:
    project = tomllib.loads((REPO / "services" / service / "pyproject.toml").read_text())
    lock = (REPO / "uv.lock").read_text()

    assert project["project"]["name"] == f"chorus-{service}"
    assert service in project["project"]["entry-points"]["chorus.services"]
    assert f'name = "chorus-{service}"' in lock


# The portal's image: the stage `portal`, with the npm packages from the stage `assets`.

NPM_CI = re.compile(r"\bnpm ci\b")


def portal_stage_problems(text: str) -> list[str]:
    """What is wrong with the portal's stages, against the image's rules."""
    arguments, stages = parse(text)
    by_name = {s.name: s for s in stages}
    if "portal" not in by_name or "assets" not in by_name:
        return ["needs an `assets` stage (npm) and a `portal` stage"]
    build, assets, final = by_name["build"], by_name["assets"], by_name["portal"]
    found = []
    if stages[-1].name != "runtime":
        found.append("the services' `runtime` stays the last stage (built without --target)")
    if final.base != build.base:
        found.append("the portal stage must start from the build stage's Python image")
    if [s.name for s in stages if "node" in expand(s.base, arguments)] != ["assets"]:
        found.append("Node is only for the `assets` stage")
    installs = [run for run in assets.all("RUN") if "npm" in run]
    if len(installs) != 1 or not NPM_CI.search(installs[0]) or "--omit=dev" not in installs[0]:
        found.append("the assets are installed from the lock file without the test tools: "
                     "`npm ci --omit=dev`")
    if assets.all("COPY") != ["services/portal/package.json services/portal/package-lock.json ./"]:
        found.append("the assets stage copies the portal's package.json and lock and nothing "
                     "else")
    if any(BUILD_TOOLS.search(run) or "npm" in run for run in final.all("RUN")):
        found.append("the portal stage must install nothing")
    copies = final.all("COPY")
    assets_dir = portal_assets_dir(final)
    if copies != ["--from=build /app/.venv /app/.venv",
                  f"--from=assets {assets.all('WORKDIR')[-1]}/node_modules {assets_dir}"]:
        found.append("the portal stage copies the built environment and the assets' "
                     "node_modules (at CHORUS_PORTAL_ASSETS_DIR) and nothing else")
    users = final.all("USER")
    if len(users) != 1 or not re.fullmatch(r"[1-9]\d*:[1-9]\d*", users[0]):
        found.append("the portal stage must run as a numeric non-root user")
    if final.all("CMD") != ['["python", "-m", "portal"]'] or final.all("ENTRYPOINT"):
        found.append("the portal image must run `python -m portal`")
    env = " ".join(final.all("ENV"))
    for wanted in ("PYTHONDONTWRITEBYTECODE=1", "PATH=/app/.venv/bin:", "CHORUS_HOST=0.0.0.0"):
        if wanted not in env:
            found.append(f"the portal stage must set {wanted}")
    if not any('test "${SERVICE}" = portal' in run for run in final.all("RUN")):
        found.append("the portal stage must refuse a SERVICE other than portal")
    if not any('test "${SERVICE}" != portal' in run for run in stages[-1].all("RUN")):
        found.append("the services' stage must refuse SERVICE=portal")
    if "NODE_IMAGE" not in arguments:
        found.append("the Node image is a pinned argument like the others")
    return found


def portal_assets_dir(stage: Stage) -> str | None:
    found = re.search(r"CHORUS_PORTAL_ASSETS_DIR=(\S+)", " ".join(stage.all("ENV")))
    return found[1] if found else None


def test_the_portal_stages_follow_the_rules() -> None:
    assert portal_stage_problems((REPO / "Dockerfile").read_text()) == []


@pytest.mark.parametrize(("change", "message"), [
    (("npm ci --omit=dev", "npm install"), "npm ci --omit=dev"),
    (("npm ci --omit=dev", "npm ci"), "npm ci --omit=dev"),
    (('CMD ["python", "-m", "portal"]', 'CMD ["chorus", "up"]'), "python -m portal"),
    (("CHORUS_PORTAL_ASSETS_DIR=/app/portal-assets", "CHORUS_PORTAL_ASSETS_DIR=/app/assets"),
     "at CHORUS_PORTAL_ASSETS_DIR"),
    (("COPY --from=assets /assets/node_modules /app/portal-assets",
      "COPY --from=assets /assets/node_modules /app/portal-assets\n"
      "COPY --from=uv /uv /usr/local/bin/uv"), "and nothing else"),
    (("FROM ${PYTHON_IMAGE} AS portal", "FROM ${NODE_IMAGE} AS portal"), "Python image"),
    (("USER 10001:10001", "USER 0:0"), "non-root"),
    (('test "${SERVICE}" = portal', "true"), "refuse a SERVICE other than portal"),
    (('test "${SERVICE}" != portal', "true"), "refuse SERVICE=portal"),
    (("COPY services/portal/package.json services/portal/package-lock.json ./",
      "COPY services/portal/ ./"), "package.json and lock and nothing else"),
    (("ARG PYTHON_IMAGE=python:3.11-slim-bookworm", "ARG PYTHON_IMAGE=node:22-bookworm-slim"),
     "Node is only for"),
    (("FROM ${PYTHON_IMAGE} AS runtime", "FROM ${PYTHON_IMAGE} AS runtime\nFROM runtime AS x"),
     "stays the last stage"),
])
def test_a_broken_portal_stage_is_caught(change: tuple[str, str], message: str) -> None:
    text = (REPO / "Dockerfile").read_text()
    old, new = change
    assert old in text

    found = portal_stage_problems(text.replace(old, new, 1))

    assert any(message in problem for problem in found), found


def test_the_portal_image_holds_the_packages_it_serves_and_not_the_test_tools() -> None:
    package = json.loads((REPO / "services" / "portal" / "package.json").read_text())
    lock = json.loads((REPO / "services" / "portal" / "package-lock.json").read_text())
    served = {folder.split("/")[0] for folder in PACKAGES.values()}

    assert set(package["dependencies"]) == served == {"nhsuk-frontend", "htmx.org"}
    assert "axe-core" in package["devDependencies"]  # omitted by `npm ci --omit=dev`
    assert lock["packages"][""]["dependencies"] == package["dependencies"]
    assert all(lock["packages"][f"node_modules/{name}"]["version"] == version
               for name, version in package["dependencies"].items())
    assert lock["packages"]["node_modules/axe-core"]["dev"] is True


def test_the_portal_reads_its_assets_where_the_image_puts_them(
    dockerfile: tuple[dict[str, str], list[Stage]],
) -> None:
    [final] = [s for s in dockerfile[1] if s.name == "portal"]
    folder = portal_assets_dir(final)

    settings = (REPO / "deploy" / "k8s" / "base" / "portal" / "settings.env").read_text()

    assert folder and folder.startswith("/app/")  # beside the environment, on the read-only root
    assert "CHORUS_PORTAL_ASSETS_DIR" not in {  # the image says where; the manifests agree
        line.partition("=")[0] for line in settings.splitlines() if not line.startswith("#")}


@pytest.mark.parametrize("front_end", FRONT_ENDS)
def test_each_front_end_is_a_workspace_package_the_build_can_choose(front_end: str) -> None:
    project = tomllib.loads((REPO / "services" / front_end / "pyproject.toml").read_text())
    lock = (REPO / "uv.lock").read_text()

    assert project["project"]["name"] == f"chorus-{front_end}"
    assert front_end in project["project"]["entry-points"]["chorus.frontends"]
    assert f'name = "chorus-{front_end}"' in lock
    assert (REPO / "services" / front_end / front_end / "__main__.py").is_file()


def ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last pattern that matches the path, or a folder above it, wins."""
    parts = path.split("/")
    candidates = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    excluded = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        regex = _regex(pattern.removeprefix("!").strip("/"))
        if any(regex.fullmatch(c) for c in candidates):
            excluded = not negated
    return excluded


def _regex(pattern: str) -> re.Pattern[str]:
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out)


@pytest.fixture(scope="module")
def dockerignore() -> list[str]:
    text = (REPO / ".dockerignore").read_text()
    return [line.strip() for line in text.splitlines()
            if line.strip() and not line.startswith("#")]


NOT_COPIED = ("services/portal/node_modules/", "services/portal/.gitignore")
"""What a copied folder holds but the image must not: the portal's installed npm packages
(the `assets` stage installs them from the lock), and a file for git."""


@pytest.mark.parametrize("service", SERVICES + FRONT_ENDS)
def test_everything_it_copies_is_in_the_repository_and_the_build_context(
    dockerfile: tuple[dict[str, str], list[Stage]], dockerignore: list[str], service: str,
) -> None:
    copied = []
    for args in [a for s in dockerfile[1] for a in s.all("COPY")]:
        if args.startswith("--from="):
            continue
        *sources, _ = expand(args, {"SERVICE": service}).split()
        copied += sources
    assert copied
    for source in copied:
        path = REPO / source
        assert path.exists(), source
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()
                                               and "__pycache__" not in p.parts]
        left_out = [f for f in files if ignored(f.relative_to(REPO).as_posix(), dockerignore)
                    and not f.relative_to(REPO).as_posix().startswith(NOT_COPIED)]
        assert left_out == [], f"{source}: .dockerignore leaves out {left_out[:3]}"


@pytest.mark.parametrize("path", [
    "tests/conftest.py", ".venv/bin/python", "bench/README.md", ".git/config",
    ".chorus/data/bus.db", ".tools/bin/kustomize", "deploy/k8s/base/kustomization.yaml",
    "services/portal/node_modules/axe-core/axe.min.js", "services/portal/.gitignore",
    "services/portal/node_modules/htmx.org/dist/htmx.min.js", "tests/portal/artifacts/x.png",
    "docs/operations.md", "shared/chorus/__pycache__/app.cpython-311.pyc",
    "services/registry/registry/api/__pycache__/x.pyc", "Dockerfile",
])
def test_the_build_context_leaves_out_what_the_image_does_not_need(
    dockerignore: list[str], path: str,
) -> None:
    assert ignored(path, dockerignore)


def test_the_rule_of_the_last_matching_pattern(dockerignore: list[str]) -> None:
    assert not ignored("services/feedback/pyproject.toml", dockerignore)
    assert not ignored("shared/chorus/contracts/schemas/x.json", dockerignore)
    assert not ignored("services/portal/portal/templates/base.html", dockerignore)
    assert not ignored("services/portal/package-lock.json", dockerignore)
    assert ignored("services/feedback/README.md", ["*", "!services/*/pyproject.toml"])
    assert not ignored("a/b/c", ["a", "!a/b"])


@pytest.mark.parametrize("service", SERVICES + FRONT_ENDS)
def test_the_image_of_a_service_holds_no_other_service(
    dockerfile: tuple[dict[str, str], list[Stage]], service: str,
) -> None:
    [build] = [s for s in dockerfile[1] if s.name == "build"]
    sources = {source for args in build.all("COPY") if not args.startswith("--from=")
               for source in expand(args, {"SERVICE": service}).split()[:-1]}
    for other in SERVICES + FRONT_ENDS:
        assert (f"services/{other}/" in sources) == (other == service)
