"""Recipe loading: inheritance, overrides and every error message; the shipped recipes parse."""
import glob
import os

import pytest

from gluonkit.train import ConfigError, load_config

CONFIGS = os.path.join(os.path.dirname(__file__), "..", "..", "configs")


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_base_inheritance_merges_sections(tmp_path):
    write(tmp_path, "base.yaml", "optim:\n  lr_per_256: 0.1\n  wd: 0.0001\ntrain:\n  epochs: 5\n")
    child = write(tmp_path, "child.yaml", "base: base.yaml\noptim:\n  wd: 0.0005\n")
    cfg = load_config(child)
    assert cfg.optim.lr_per_256 == 0.1 and cfg.optim.wd == 0.0005 and cfg.train.epochs == 5


def test_overrides_parse_yaml_values(tmp_path):
    path = write(tmp_path, "a.yaml", "train:\n  epochs: 5\n")
    cfg = load_config(path, ["optim.lr_per_256=0.2", "train.epochs=3",
                             "schedule.step_epochs=[1, 2]", "tricks.teacher=resnet152_v1d"])
    assert cfg.optim.lr_per_256 == 0.2 and cfg.train.epochs == 3
    assert cfg.schedule.step_epochs == [1, 2] and cfg.tricks.teacher == "resnet152_v1d"


def test_unknown_key_names_path_and_closest(tmp_path):
    path = write(tmp_path, "a.yaml", "optim:\n  lr_per256: 0.1\n")
    with pytest.raises(ConfigError, match=r"optim\.lr_per256.*did you mean 'optim\.lr_per_256'"):
        load_config(path)


def test_unknown_section(tmp_path):
    path = write(tmp_path, "a.yaml", "trian:\n  epochs: 1\n")
    with pytest.raises(ConfigError, match=r"'trian'.*did you mean 'train'"):
        load_config(path)


def test_wrong_type_names_expected_type(tmp_path):
    path = write(tmp_path, "a.yaml", "train:\n  epochs: three\n")
    with pytest.raises(ConfigError, match=r"train\.epochs: expected int, got 'three'"):
        load_config(path)


def test_bad_choice_lists_choices(tmp_path):
    path = write(tmp_path, "a.yaml", "optim:\n  name: sgdd\n")
    with pytest.raises(ConfigError, match=r"optim\.name: expected one of 'sgd', 'nag'"):
        load_config(path)


def test_int_is_accepted_for_float(tmp_path):
    path = write(tmp_path, "a.yaml", "optim:\n  lr_per_256: 1\n")
    assert load_config(path).optim.lr_per_256 == 1.0


def test_bad_override_and_missing_file(tmp_path):
    path = write(tmp_path, "a.yaml", "{}\n")
    with pytest.raises(ConfigError, match="section.key=value"):
        load_config(path, ["train.epochs"])
    with pytest.raises(ConfigError, match="not found"):
        load_config(str(tmp_path / "nope.yaml"))


def test_inheritance_loop_is_reported(tmp_path):
    write(tmp_path, "a.yaml", "base: b.yaml\n")
    write(tmp_path, "b.yaml", "base: a.yaml\n")
    with pytest.raises(ConfigError, match="loops"):
        load_config(str(tmp_path / "a.yaml"))


@pytest.mark.parametrize("path", sorted(glob.glob(os.path.join(CONFIGS, "*.yaml"))),
                         ids=os.path.basename)
def test_shipped_recipes_load(path):
    cfg = load_config(path)
    assert cfg.train.epochs >= 1 and cfg.model.name


def test_malformed_yaml_names_file_and_line(tmp_path):
    path = write(tmp_path, "bad.yaml", "train:\n  epochs: 3\n  batch_size: [64\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml:4:1: malformed YAML"):
        load_config(path)
    with pytest.raises(ConfigError, match=r"override 'train.epochs=\[3': malformed YAML"):
        load_config(write(tmp_path, "ok.yaml", "{}\n"), ["train.epochs=[3"])


def test_unknown_model_name_fails_at_config_time_with_closest(tmp_path):
    path = write(tmp_path, "a.yaml", "model:\n  name: resnet50_v1dd\n")
    with pytest.raises(ConfigError, match=r"model\.name: unknown model 'resnet50_v1dd'; "
                                          r"did you mean resnet50_v1d"):
        load_config(path)
    with pytest.raises(ConfigError, match=r"tricks\.teacher: unknown model 'resnet152x'"):
        load_config(path, ["model.name=lenet", "tricks.teacher=resnet152x"])
