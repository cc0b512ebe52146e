# A PyTorch training step: cuDNN convolutions, BatchNorm, cuBLAS, AMP; prints numbers to compare.
import torch, torch.nn as nn, torch.nn.functional as F
torch.manual_seed(0); torch.backends.cudnn.benchmark = False; torch.backends.cudnn.deterministic = True
m = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(16, 32, 3, padding=1),
                  nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10)).cuda()
opt = torch.optim.Adam(m.parameters(), lr=1e-2); scaler = torch.amp.GradScaler("cuda")
x = torch.randn(64, 3, 32, 32, device="cuda"); y = torch.randint(0, 10, (64,), device="cuda")
for _ in range(5):
    opt.zero_grad(set_to_none=True)
    with torch.autocast("cuda", dtype=torch.float16):
        loss = F.cross_entropy(m(x), y)
    scaler.scale(loss).backward(); scaler.step(opt); scaler.update()
torch.cuda.synchronize()
print(f"torch {torch.__version__} cudnn {torch.backends.cudnn.version()} loss {loss.item():.4f} wsum {sum(p.float().sum().item() for p in m.parameters()):.3f}")
