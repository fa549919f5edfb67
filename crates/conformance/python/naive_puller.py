#!/usr/bin/env python3
"""A small image puller in plain Python (standard library only), for `pullsim conformance
--cmd`: the harness's tests use it to show that the suite tells a careful puller from a
careless one, and it doubles as a worked example of the --cmd contract.

    naive_puller.py --ref {ref} --platform {os}/{arch}/{variant} --authfile {authfile} --out {out}

It resolves the reference (choosing the platform from an index), answers Basic and Bearer
challenges with the credentials of a docker config.json, checks every manifest and blob
against its digest, and writes an OCI image layout to --out (the image recorded under its
tag or digest in index.json). It prints the manifest digest it stored.

Two switches make it deliberately broken, so the suite has something to catch:
  --ignore-digests          resolves the tag with HEAD, then fetches the manifest by tag
                            again (a second resolution) and stores whatever bytes arrive
                            under the digests it was told, checking nothing;
  --credentials-everywhere  attaches the Authorization header so that it follows
                            redirects to any host (urllib keeps such headers).
"""

import argparse
import base64
import hashlib
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

MANIFEST_TYPES = [
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
]
INDEX_TYPES = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
]
TIMEOUT_SECONDS = 20


class PullError(Exception):
    pass


class Client:
    def __init__(self, registry, credentials, leak):
        self.registry = registry
        self.credentials = credentials
        self.leak = leak
        self.authorization = None

    def request(self, method, path, accept=None):
        """One request with the current authorization; on 401, authenticate once and retry."""
        for attempt in range(2):
            request = urllib.request.Request(
                f"http://{self.registry}{path}", method=method
            )
            if accept:
                request.add_header("Accept", ", ".join(accept))
            if self.authorization:
                if self.leak:
                    request.add_header("Authorization", self.authorization)
                else:
                    request.add_unredirected_header("Authorization", self.authorization)
            try:
                with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                    return response.read(), response.headers
            except urllib.error.HTTPError as error:
                if error.code == 401 and attempt == 0 and self.credentials:
                    self.authenticate(error.headers.get("WWW-Authenticate", ""))
                    continue
                if error.code == 401:
                    raise PullError(f"authentication failed: {method} {path}: 401 Unauthorized")
                raise PullError(f"{method} {path}: {error.code} {error.reason}: {error.read()[:200]!r}")
        raise PullError(f"authentication failed: {method} {path}")

    def authenticate(self, challenge):
        user, password = self.credentials
        basic = base64.b64encode(f"{user}:{password}".encode()).decode()
        scheme, _, params = challenge.partition(" ")
        if scheme.lower() == "basic":
            self.authorization = f"Basic {basic}"
            return
        if scheme.lower() != "bearer":
            raise PullError(f"authentication failed: unknown challenge {challenge!r}")
        fields = {}
        for part in params.split(","):
            key, _, value = part.strip().partition("=")
            fields[key] = value.strip('"')
        query = urllib.parse.urlencode(
            {k: v for k, v in fields.items() if k in ("service", "scope")}
        )
        request = urllib.request.Request(f"{fields['realm']}?{query}")
        request.add_unredirected_header("Authorization", f"Basic {basic}")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                token = json.loads(response.read())
        except urllib.error.HTTPError as error:
            raise PullError(f"authentication failed: token endpoint: {error.code}")
        self.authorization = f"Bearer {token.get('token') or token.get('access_token')}"


def credentials_for(authfile, registry):
    if not authfile or not os.path.exists(authfile):
        return None
    with open(authfile) as file:
        auths = json.load(file).get("auths", {})
    entry = auths.get(registry)
    if not entry or "auth" not in entry:
        return None
    user, _, password = base64.b64decode(entry["auth"]).decode().partition(":")
    return user, password


def parse_ref(ref):
    registry, _, rest = ref.partition("/")
    if "@" in rest:
        repository, _, digest = rest.partition("@")
        return registry, repository, digest, digest
    repository, _, tag = rest.rpartition(":")
    return registry, repository, tag, None


def matches(platform, wanted):
    os_name, arch, variant = platform.get("os"), platform.get("architecture"), platform.get("variant", "")
    want_os, want_arch, want_variant = (wanted.rstrip("/").split("/") + ["", ""])[:3]
    if (os_name, arch) != (want_os, want_arch):
        return False
    if arch == "arm64":
        return variant in ("", "v8") and want_variant in ("", "v8")
    return not want_variant or variant == want_variant


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def check(data, digest, what, careless):
    if not careless and sha256(data) != digest:
        raise PullError(f"{what}: digest mismatch: got {sha256(data)}, want {digest}")


def write_blob(out, digest, data):
    algorithm, hexdigest = digest.split(":", 1)
    folder = os.path.join(out, "blobs", algorithm)
    os.makedirs(folder, exist_ok=True)
    partial = os.path.join(folder, hexdigest + ".partial")
    with open(partial, "wb") as file:
        file.write(data)
    os.replace(partial, os.path.join(folder, hexdigest))


def pull(args):
    registry, repository, reference, pinned = parse_ref(args.ref)
    client = Client(registry, credentials_for(args.authfile, registry), args.credentials_everywhere)
    base = f"/v2/{repository}"
    accept = MANIFEST_TYPES + INDEX_TYPES
    if args.ignore_digests and not pinned:
        _, headers = client.request("HEAD", f"{base}/manifests/{reference}", accept)
        digest = headers.get("Docker-Content-Digest")
        body, headers = client.request("GET", f"{base}/manifests/{reference}", accept)
    else:
        body, headers = client.request("GET", f"{base}/manifests/{reference}", accept)
        digest = pinned or headers.get("Docker-Content-Digest") or sha256(body)
    check(body, digest, "manifest", args.ignore_digests)
    document = json.loads(body)
    media_type = document.get("mediaType") or headers.get("Content-Type", "").split(";")[0]
    if media_type in INDEX_TYPES:
        children = [c for c in document.get("manifests", []) if matches(c.get("platform", {}), args.platform)]
        if not children:
            raise PullError(f"no manifest for platform {args.platform.rstrip('/')} in {digest}")
        digest = children[0]["digest"]
        body, headers = client.request("GET", f"{base}/manifests/{digest}", MANIFEST_TYPES)
        check(body, digest, "manifest", args.ignore_digests)
        document = json.loads(body)
        media_type = document.get("mediaType") or headers.get("Content-Type", "").split(";")[0]
    blobs = []
    for descriptor in [document["config"]] + document.get("layers", []):
        data, _ = client.request("GET", f"{base}/blobs/{descriptor['digest']}")
        check(data, descriptor["digest"], f"blob {descriptor['digest']}", args.ignore_digests)
        blobs.append((descriptor["digest"], data))
    for blob_digest, data in blobs:
        write_blob(args.out, blob_digest, data)
    write_blob(args.out, digest, body)
    index_path = os.path.join(args.out, "index.json")
    index = {"schemaVersion": 2, "manifests": []}
    if os.path.exists(index_path):
        with open(index_path) as file:
            index = json.load(file)
    index["manifests"].append({
        "mediaType": media_type,
        "digest": digest,
        "size": len(body),
        "annotations": {"org.opencontainers.image.ref.name": reference},
    })
    with open(index_path, "w") as file:
        json.dump(index, file)
    with open(os.path.join(args.out, "oci-layout"), "w") as file:
        file.write('{"imageLayoutVersion":"1.0.0"}')
    print(digest)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", required=True)
    parser.add_argument("--platform", default="linux/amd64")
    parser.add_argument("--authfile")
    parser.add_argument("--out", required=True)
    parser.add_argument("--ignore-digests", action="store_true")
    parser.add_argument("--credentials-everywhere", action="store_true")
    args = parser.parse_args()
    try:
        pull(args)
    except (PullError, OSError, ValueError, KeyError) as error:
        print(f"naive-puller: {error}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
