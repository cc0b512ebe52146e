"""An OCI layout's image by tag, as the layer checks read it: its layers bottom first, each with the
group its history entry names (`... layer cuda-cublas` -> "cuda-cublas"), and a layer's file names."""
import json
import tarfile


def layers_of(layout, tag):
    """[(group, digest)] of the image tagged `tag`, bottom first."""
    index = json.load(open(layout + "/index.json"))
    ref = [m for m in index["manifests"] if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag][0]["digest"][7:]
    manifest = json.load(open(layout + "/blobs/sha256/" + ref))
    config = json.load(open(layout + "/blobs/sha256/" + manifest["config"]["digest"][7:]))
    groups = [h.get("created_by", "").rsplit("layer ", 1)[-1] for h in config["history"] if not h.get("empty_layer")]
    return list(zip(groups, [layer["digest"] for layer in manifest["layers"]]))


def names_in(layout, digest):
    """The entry names of a layer blob (gzip or plain tar)."""
    return tarfile.open(layout + "/blobs/sha256/" + digest[7:]).getnames()
