"""make test's browser: one named in CHROMIUM wins, and must exist."""

from tests.browser.chromium import find_chromium


def test_chromium_named_in_the_environment_wins_and_must_exist(tmp_path, monkeypatch):
    browser = tmp_path / "chromium"
    browser.write_text("")
    monkeypatch.setenv("CHROMIUM", str(browser))
    assert find_chromium() == browser
    monkeypatch.setenv("CHROMIUM", str(tmp_path / "missing"))
    assert find_chromium() is None
