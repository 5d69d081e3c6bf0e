"""A small convolutional autoencoder on MNIST, written as PyTorch's examples are, run on shenjing.

Two strided convolutions and one 7x7 convolution encode a digit into 64 numbers; three
``ConvTranspose2d`` layers (two of them with ``output_padding``) decode it back to 28x28, and
Adam minimises the mean squared error of the reconstruction (the layout of pytorch/examples'
vae/main.py: ``train(epoch)``, ``test(epoch)``, argparse). Everything below the import block is
PyTorch's program; the import block is the only part that names a framework:

    python examples/pytorch_autoencoder.py --data-root /work/shared/data            # shenjing
    SHENJING=0 python examples/pytorch_autoencoder.py --data-root <torchvision root>  # PyTorch

``--data-root`` holds ``mnist/*.gz`` for shenjing, ``MNIST/raw/*`` for torchvision (see
docs/pytorch-examples.md). ``--max-batches N`` stops each epoch and the test after N batches,
for a quick check (CI runs it so).
"""

# PyTorch's examples format their messages with str.format; so do these copies.
# ruff: noqa: UP032

import argparse
import os
import time

# The import block: the only lines that differ between a PyTorch run and a shenjing run.
if os.environ.get("SHENJING", "1") == "0":
    import torch
    import torch.nn.functional as F
    from torch import nn, optim
    from torchvision import datasets, transforms
else:
    import shenjing as torch
    import shenjing.nn.functional as F
    from shenjing import datasets, nn, optim
    from shenjing.data import transforms
# End of the import block.


parser = argparse.ArgumentParser(description='Convolutional autoencoder MNIST Example')
parser.add_argument('--batch-size', type=int, default=128, metavar='N',
                    help='input batch size for training (default: 128)')
parser.add_argument('--epochs', type=int, default=10, metavar='N',
                    help='number of epochs to train (default: 10)')
parser.add_argument('--lr', type=float, default=1e-3, metavar='LR',
                    help='learning rate (default: 1e-3)')
parser.add_argument('--no-cuda', action='store_true', default=False,
                    help='disables CUDA training')
parser.add_argument('--seed', type=int, default=1, metavar='S',
                    help='random seed (default: 1)')
parser.add_argument('--log-interval', type=int, default=10, metavar='N',
                    help='how many batches to wait before logging training status')
parser.add_argument('--max-batches', type=int, default=0, metavar='N',
                    help='stop each epoch and the test after N batches (default: 0, all)')
parser.add_argument('--data-root', type=str, default='../data',
                    help='where the MNIST files are (default: ../data)')
args = parser.parse_args()
args.cuda = not args.no_cuda and torch.cuda.is_available()

torch.manual_seed(args.seed)

device = torch.device("cuda" if args.cuda else "cpu")

kwargs = {'num_workers': 1, 'pin_memory': True} if args.cuda else {}
train_loader = torch.utils.data.DataLoader(
    datasets.MNIST(args.data_root, train=True, download=True,
                   transform=transforms.ToTensor()),
    batch_size=args.batch_size, shuffle=True, **kwargs)
test_loader = torch.utils.data.DataLoader(
    datasets.MNIST(args.data_root, train=False, transform=transforms.ToTensor()),
    batch_size=args.batch_size, shuffle=False, **kwargs)


class Autoencoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 16, 3, stride=2, padding=1),   # 1x28x28 -> 16x14x14
            nn.ReLU(),
            nn.Conv2d(16, 32, 3, stride=2, padding=1),  # -> 32x7x7
            nn.ReLU(),
            nn.Conv2d(32, 64, 7),                       # -> 64x1x1
        )
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(64, 32, 7),                                        # -> 32x7x7
            nn.ReLU(),
            nn.ConvTranspose2d(32, 16, 3, stride=2, padding=1, output_padding=1),  # -> 16x14x14
            nn.ReLU(),
            nn.ConvTranspose2d(16, 1, 3, stride=2, padding=1, output_padding=1),   # -> 1x28x28
            nn.Sigmoid(),
        )

    def forward(self, x):
        return self.decoder(self.encoder(x))


model = Autoencoder().to(device)
optimizer = optim.Adam(model.parameters(), lr=args.lr)


def train(epoch):
    model.train()
    train_loss = 0
    seen = 0
    for batch_idx, (data, _) in enumerate(train_loader):
        data = data.to(device)
        optimizer.zero_grad()
        recon = model(data)
        loss = F.mse_loss(recon, data)
        loss.backward()
        train_loss += loss.item() * len(data)
        seen += len(data)
        optimizer.step()
        if batch_idx % args.log_interval == 0:
            print('Train Epoch: {} [{}/{} ({:.0f}%)]\tLoss: {:.6f}'.format(
                epoch, batch_idx * len(data), len(train_loader.dataset),
                100. * batch_idx / len(train_loader),
                loss.item()))
        if args.max_batches and batch_idx + 1 >= args.max_batches:
            break

    print('====> Epoch: {} Average loss: {:.6f}'.format(epoch, train_loss / seen))


def test(epoch):
    model.eval()
    test_loss = 0
    seen = 0
    with torch.no_grad():
        for i, (data, _) in enumerate(test_loader):
            data = data.to(device)
            recon = model(data)
            test_loss += F.mse_loss(recon, data, reduction='sum').item()
            seen += data.numel()
            if args.max_batches and i + 1 >= args.max_batches:
                break

    print('====> Test set reconstruction MSE (per pixel): {:.6f}'.format(test_loss / seen))


if __name__ == "__main__":
    start = time.time()
    for epoch in range(1, args.epochs + 1):
        train(epoch)
        test(epoch)
    print('Wall time: {:.1f} s'.format(time.time() - start))
