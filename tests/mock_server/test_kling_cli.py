"""``kling-mock serve`` flags for Kling keys and path families."""

import pytest

from kling_mock import MockConfig
from kling_mock._cli import _parser, config_from_args
from kling_mock._config import DEFAULT_DEV_ACCESS_KEY, DEFAULT_DEV_SECRET_KEY


def config(*argv: str) -> MockConfig:
    return config_from_args(_parser().parse_args(["serve", *argv]))


def test_default_dev_pair_and_both_families() -> None:
    cfg = config()
    assert cfg.kling_keys == {DEFAULT_DEV_ACCESS_KEY: (DEFAULT_DEV_SECRET_KEY, "dev")}
    assert cfg.gateways == ("cometapi", "kling")


def test_kling_key_is_repeatable_with_optional_account() -> None:
    cfg = config("--kling-key", "ak1:sk1=team", "--kling-key", "ak2:s:k2")
    assert cfg.kling_keys == {"ak1": ("sk1", "team"), "ak2": ("s:k2", "ak2")}


def test_kling_key_without_secret_is_refused() -> None:
    with pytest.raises(SystemExit, match="expected AK:SK"):
        config("--kling-key", "only-an-access-key")


def test_gateway_flag_selects_families() -> None:
    assert config("--gateway", "kling").gateways == ("kling",)
