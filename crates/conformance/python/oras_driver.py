#!/usr/bin/env python3
"""pullsim's driver for oras-py: pull one image with oras-py's own client and write what
it fetched into an OCI image layout, which the conformance harness reads back.

oras-py is a library without a command line, and its pull() saves only layers that carry
a title annotation (artifacts, not container images). So this driver walks the image the
way a container puller does, through oras-py's Registry: the manifest (and, for an index,
the child for the requested platform) with oras-py's request path and auth handling, then
the config and layers with download_blob(). It adds no checks of its own: whatever oras-py
does not verify is written unverified, so the harness sees oras-py's behaviour.

Credentials come in the environment (PULLSIM_USERNAME, PULLSIM_PASSWORD), never on the
command line. Exit status 0 when the image was written, 1 with the error on stderr.
"""

import argparse
import hashlib
import json
import os
import sys

import oras.provider

MANIFEST_TYPES = [
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
]
INDEX_TYPES = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registry", required=True, help="host:port")
    parser.add_argument("--repository", required=True)
    parser.add_argument("--reference", required=True, help="a tag, or a digest")
    parser.add_argument("--platform", default="linux/amd64", help="os/arch[/variant]")
    parser.add_argument("--auth-backend", default="token", choices=["token", "basic"])
    parser.add_argument("--layout", required=True, help="the OCI layout folder to write")
    parser.add_argument("--name", required=True, help="the ref.name of the image in index.json")
    return parser.parse_args()


def fetch_manifest(registry, container, accept):
    """GET a manifest through oras-py's request path; returns (bytes, claimed digest, type)."""
    url = f"{registry.prefix}://{container.manifest_url()}"
    response = registry.do_request(url, "GET", headers={"Accept": ", ".join(accept)})
    registry._check_200_response(response)
    media_type = response.headers.get("Content-Type", "").split(";")[0].strip()
    return response.content, response.headers.get("Docker-Content-Digest"), media_type


def matches(platform, wanted):
    """containerd-style matching, reduced to what the suite's indexes need."""
    os_name, arch = platform.get("os"), platform.get("architecture")
    variant = platform.get("variant", "")
    want_os, want_arch, want_variant = (wanted.split("/") + [""])[:3]
    if (os_name, arch) != (want_os, want_arch):
        return False
    if arch == "arm64":
        return variant in ("", "v8") and want_variant in ("", "v8")
    return not want_variant or variant == want_variant


def write_blob(layout, digest, data):
    algorithm, hexdigest = digest.split(":", 1)
    folder = os.path.join(layout, "blobs", algorithm)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, hexdigest), "wb") as out:
        out.write(data)


def record(layout, descriptor, name):
    """Adds the image to index.json (keeping earlier pulls) and writes oci-layout."""
    path = os.path.join(layout, "index.json")
    index = {"schemaVersion": 2, "manifests": []}
    if os.path.exists(path):
        with open(path) as existing:
            index = json.load(existing)
    index["manifests"] = [
        entry
        for entry in index["manifests"]
        if entry.get("annotations", {}).get("org.opencontainers.image.ref.name") != name
    ]
    descriptor["annotations"] = {"org.opencontainers.image.ref.name": name}
    index["manifests"].append(descriptor)
    with open(path, "w") as out:
        json.dump(index, out)
    with open(os.path.join(layout, "oci-layout"), "w") as out:
        out.write('{"imageLayoutVersion":"1.0.0"}')


def main():
    args = parse_args()
    registry = oras.provider.Registry(
        hostname=args.registry, insecure=True, auth_backend=args.auth_backend
    )
    username = os.environ.get("PULLSIM_USERNAME")
    if username:
        registry.auth.set_basic_auth(username, os.environ.get("PULLSIM_PASSWORD", ""))
    by_digest = ":" in args.reference
    separator = "@" if by_digest else ":"
    container = registry.get_container(
        f"{args.registry}/{args.repository}{separator}{args.reference}"
    )
    body, claimed, media_type = fetch_manifest(
        registry, container, MANIFEST_TYPES + INDEX_TYPES
    )
    digest = args.reference if by_digest else claimed
    if not digest:
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
    document = json.loads(body)
    media_type = document.get("mediaType") or media_type
    if media_type in INDEX_TYPES:
        children = [
            child
            for child in document.get("manifests", [])
            if matches(child.get("platform", {}), args.platform)
        ]
        if not children:
            raise SystemExit(f"no manifest for platform {args.platform} in {digest}")
        digest = children[0]["digest"]
        child = registry.get_container(f"{args.registry}/{args.repository}@{digest}")
        body, _, media_type = fetch_manifest(registry, child, MANIFEST_TYPES)
        document = json.loads(body)
        media_type = document.get("mediaType") or media_type
    os.makedirs(args.layout, exist_ok=True)
    for blob in [document["config"]] + document.get("layers", []):
        algorithm, hexdigest = blob["digest"].split(":", 1)
        outfile = os.path.join(args.layout, "blobs", algorithm, hexdigest)
        registry.download_blob(container, blob["digest"], outfile)
    write_blob(args.layout, digest, body)
    record(args.layout, {"mediaType": media_type, "digest": digest, "size": len(body)}, args.name)


if __name__ == "__main__":
    try:
        main()
    except SystemExit:
        raise
    except Exception as error:  # the harness reads the exit status and this line
        print(f"oras-py: {type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(1)
