"""Write the forward fixtures test_models.py compares against (needs PyTorch and timm; not in CI).

    python -m venv /tmp/torchenv
    /tmp/torchenv/bin/pip install torch==2.13.0 numpy pillow pyyaml huggingface_hub safetensors
    /tmp/torchenv/bin/pip install --no-deps timm==1.0.31 torchvision==0.28.0
    /tmp/torchenv/bin/python tests/model_zoo/reference/make_forward_fixtures.py [--full DIR]

Each ``forward_<name>.npz`` holds a small timm ResNet/ResNeSt with random weights and random
batch-norm statistics: ``config`` (JSON: how gluonkit builds the same network), ``x``,
``logits_eval`` (running statistics), ``logits_train`` (batch statistics), ``state.<name>``
(the weights before the training-mode forward) and ``running.<name>`` (the running statistics
after it). Widths are cut down so the files stay small; the layout is the published one.

``--full DIR`` also writes full-size torchvision/timm models (eval-mode logits only, too large to
commit) for ``GLUONKIT_FULL_FIXTURES=DIR pytest tests/model_zoo -k full_size``.
"""
import argparse
import json
import os

import numpy as np
import timm
import torch
import torchvision
from timm.models.resnest import ResNestBottleneck
from timm.models.resnet import Bottleneck, ResNet

HERE = os.path.dirname(os.path.abspath(__file__))

# name -> (timm kwargs, gluonkit ResNet kwargs)
MODELS = {
    # torchvision's ResNet-B layout (resnet50_v1b): 7x7 stem, stride in the 3x3, conv shortcut.
    "resnet_v1b": (dict(block=Bottleneck, layers=[1, 1, 1, 1], channels=(8, 8, 8, 8)),
                   dict(block="bottleneck", layers=[1, 1, 1, 1], channels=[8, 8, 8, 8],
                        stem_width=64)),
    # timm resnest50d's layout: deep stem, average-pool shortcut, radix 2, avd after the attention.
    "resnest_2s1x": (dict(block=ResNestBottleneck, layers=[1, 1, 1, 1], channels=(8, 8, 8, 8),
                          stem_type="deep", stem_width=8, avg_down=True,
                          block_args=dict(radix=2, avd=True, avd_first=False)),
                     dict(block="resnest", layers=[1, 1, 1, 1], channels=[8, 8, 8, 8],
                          stem="deep", stem_width=8, avg_down=True,
                          block_args=dict(radix=2, avd=True, avd_first=False))),
    # resnest50d_4s2x40d-like: radix 4, cardinality 2, avd before the attention.
    "resnest_4s2x": (dict(block=ResNestBottleneck, layers=[1, 1, 1, 1], channels=(8,) * 4,
                          stem_type="deep", stem_width=8, avg_down=True, cardinality=2,
                          block_args=dict(radix=4, avd=True, avd_first=True)),
                     dict(block="resnest", layers=[1, 1, 1, 1], channels=[8] * 4,
                          stem="deep", stem_width=8, avg_down=True,
                          block_args=dict(radix=4, cardinality=2, avd=True,
                                          avd_first=True))),
    # resnest50d_1s4x24d-like: radix 1 (a sigmoid gate), cardinality 4, a narrower base width.
    "resnest_1s4x": (dict(block=ResNestBottleneck, layers=[1, 1, 1, 1], channels=(8,) * 4,
                          stem_type="deep", stem_width=8, avg_down=True, cardinality=4,
                          base_width=32, block_args=dict(radix=1, avd=True, avd_first=True)),
                     dict(block="resnest", layers=[1, 1, 1, 1], channels=[8] * 4,
                          stem="deep", stem_width=8, avg_down=True,
                          block_args=dict(radix=1, cardinality=4, base_width=32, avd=True,
                                          avd_first=True))),
}


# gluonkit name -> (reference constructor, gluonkit kwargs, image size)
FULL = {
    "resnet18_v1b": (lambda: torchvision.models.resnet18(), {}, 224),
    "resnet50_v1b": (lambda: torchvision.models.resnet50(), {}, 224),
    "resnet50_v1d": (lambda: timm.create_model("resnet50d"), {}, 224),
    "resnet50_v1s": (lambda: timm.create_model("resnet50s"), {}, 224),
    "resnest50": (lambda: timm.create_model("resnest50d"), {}, 224),
    "resnest101": (lambda: timm.create_model("resnest101e"), {}, 256),
    "googlenet": (lambda: torchvision.models.googlenet(aux_logits=True, transform_input=True,
                                                       init_weights=True),
                  {"aux_logits": True, "transform_input": True}, 224),
    "inceptionv3": (lambda: torchvision.models.inception_v3(aux_logits=True, transform_input=True,
                                                            init_weights=True),
                    {"aux_logits": True, "transform_input": True}, 299),
}


def randomize_bn(model: torch.nn.Module, gen: torch.Generator) -> None:
    """Random gammas, betas and running statistics, so the eval forward tests them all."""
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            n = m.num_features
            m.weight.data = torch.rand(n, generator=gen) + 0.5
            m.bias.data = torch.randn(n, generator=gen) * 0.1
            m.running_mean = torch.randn(n, generator=gen) * 0.1
            m.running_var = torch.rand(n, generator=gen) + 0.5


def make(name: str, timm_kwargs: dict, gk_kwargs: dict, classes: int = 10) -> None:
    gen = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    model = ResNet(num_classes=classes, zero_init_last=False, **timm_kwargs)
    randomize_bn(model, gen)
    x = torch.randn(2, 3, 36, 36, generator=gen)  # maps of 9, 5, 3: tests the ceil modes
    state = {f"state.{k}": v.numpy().copy() for k, v in model.state_dict().items()
             if not k.endswith("num_batches_tracked")}
    with torch.no_grad():
        model.eval()
        y_eval = model(x).numpy()
        model.train()
        y_train = model(x).numpy()
    running = {f"running.{k}": v.numpy().copy() for k, v in model.state_dict().items()
               if k.endswith(("running_mean", "running_var"))}
    config = json.dumps(dict(gk_kwargs, classes=classes))
    np.savez_compressed(os.path.join(HERE, f"forward_{name}.npz"), config=np.array(config),
                        x=x.numpy(), logits_eval=y_eval, logits_train=y_train, **state, **running)
    print(name, sum(p.numel() for p in model.parameters()), "parameters")


def make_full(out_dir: str) -> None:
    os.makedirs(out_dir, exist_ok=True)
    for name, (build, gk_kwargs, size) in FULL.items():
        gen = torch.Generator().manual_seed(0)
        torch.manual_seed(0)
        model = build().eval()
        randomize_bn(model, gen)
        x = torch.randn(2, 3, size, size, generator=gen)
        with torch.no_grad():
            y_eval = model(x).numpy()
        state = {f"state.{k}": v.numpy() for k, v in model.state_dict().items()
                 if not k.endswith("num_batches_tracked")}
        config = json.dumps(dict(gk_kwargs, model=name))
        np.savez(os.path.join(out_dir, f"{name}.npz"), config=np.array(config), x=x.numpy(),
                 logits_eval=y_eval, **state)
        print(name, "written")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--full", metavar="DIR", help="also write full-size models to DIR")
    args = parser.parse_args()
    for key, (tk, gk) in MODELS.items():
        make(key, tk, gk)
    if args.full:
        make_full(args.full)
