#!/usr/bin/env bash
# GPU machine: trace a PyTorch script (a matmul and a conv2d on CUDA) run from the host's own
# venv, bundle python + the venv FROM scratch with the trace, run the script in `cuslim run`
# and compare the numbers; print the sizes (venv, bundle, objects the process mapped).
# usage: tests/gpu/pytorch_trace.sh [CUSLIM]
set -u
cuslim=$(readlink -f "${1:-$(dirname "$0")/../../build-portable/cuslim}")
py=$(command -v python3)
venv=$("$py" -c 'import sys; print(sys.prefix)')
work=/opt/cuslim-pytorch-test; rm -rf "$work"; mkdir -p "$work"   # not /tmp: a tmpfs inside the sandbox
cat > "$work/t.py" <<'PY'
import torch
torch.backends.cudnn.deterministic = True
torch.backends.cudnn.benchmark = False
torch.manual_seed(0)
a = torch.randn(512, 512, device="cuda")
b = torch.randn(512, 512, device="cuda")
conv = torch.nn.Conv2d(3, 8, 3).cuda()
x = torch.randn(4, 3, 32, 32, device="cuda")
with torch.no_grad():
    print(f"matmul {(a @ b).sum().item():.4f} conv2d {conv(x).sum().item():.4f} on {torch.cuda.get_device_name(0)}")
PY
outside=$("$py" "$work/t.py"); echo "outside:  $outside"
"$cuslim" trace -o "$work/t.trace" -- "$py" "$work/t.py"
for lib in libcudnn_graph libcudnn_engines libnvrtc libnvidia-ml; do
  grep -q "\"path\":\"[^\"]*$lib" "$work/t.trace" && echo "PASS trace shows $lib" || echo "FAIL trace lacks $lib"
done
mapped=$(python3 - "$work/t.trace" <<'PY'
import json, os, sys
paths = {json.loads(l)["path"] for l in open(sys.argv[1]) if '"open"' in l or '"exec"' in l}
print(sum(os.path.getsize(p) for p in paths if os.path.isfile(p)))
PY
)
stdlib=$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
time "$cuslim" bundle "$(readlink -f "$py")" --include "$venv" --include "$stdlib" --include "$work/t.py" \
    --trace "$work/t.trace" -o "$work/torch-oci" --tag torch --compression zstd | tail -6
inside=$("$cuslim" run -v "$work/torch-oci" -- "$py" "$work/t.py"); echo "inside:   $inside"
[ "$inside" = "$outside" ] && echo "PASS the bundle prints the same numbers in cuslim run" || echo "FAIL numbers differ"
echo "sizes: venv $(du -sh "$venv" | cut -f1) ; bundle (OCI, zstd) $(du -sh "$work/torch-oci" | cut -f1) ; objects the process mapped $(numfmt --to=iec "$mapped")"
