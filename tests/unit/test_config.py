from __future__ import annotations

from copy import deepcopy
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from tagback.config.agency import AgencyConfigError, load_agency_config
from tagback.config.loading import ConfigError, load_client_config, load_client_configs, parse_client_config
from tests.conftest import DEMO_CONFIG, ROOT

DEMO: dict[str, Any] = yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8"))
# The demo's text without its logo, for copies written outside clients/ (where the logo is not).
DEMO_TEXT_NO_ASSETS = DEMO_CONFIG.read_text(encoding="utf-8").replace("logo: assets/demo/logo.png", "logo: null")


def problems_of(change: dict[str, Any] | None = None, drop: str | None = None) -> list[str]:
    data = deepcopy(DEMO)
    data.update(change or {})
    if drop:
        del data[drop]
    with pytest.raises(ConfigError) as raised:
        parse_client_config(data, "test.yaml", DEMO_CONFIG.parent)
    return raised.value.problems


def test_demo_config_loads_with_defaults() -> None:
    config = load_client_config(DEMO_CONFIG)
    assert config.client_id == "demo"
    assert config.default_language == "en"
    assert str(config.tz) == "Europe/Lisbon"
    assert [p.weight for p in config.prizes] == [Decimal(60), Decimal(30), Decimal(10)]
    assert config.claim_policy.kind == "per_local_day"
    assert config.followup_delay_minutes == 60
    assert config.secrets.meta_access_token == "/tagback/demo/meta-access-token"
    assert config.secrets.coupon_signing_key == "/tagback/demo/coupon-signing-key"


def test_weights_must_sum_to_100_and_the_error_names_the_field() -> None:
    prizes = deepcopy(DEMO["prizes"])
    prizes[0]["weight"] = 65
    assert problems_of({"prizes": prizes}) == ["prizes: weights sum to 105, must be 100"]


def test_fractional_weights_are_summed_exactly() -> None:
    prizes = [
        {"id": "a", "name": "A", "weight": 33.33},
        {"id": "b", "name": "B", "weight": 33.33},
        {"id": "c", "name": "C", "weight": 33.34},
    ]
    data = deepcopy(DEMO) | {"prizes": prizes, "languages": ["en"]}  # one language: `name` is every prize's name
    assert sum(p.weight for p in parse_client_config(data, "t", DEMO_CONFIG.parent).prizes) == 100


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone: unknown IANA timezone 'Mars/Olympus'"),
        ({"languages": ["en", "xx"]}, "languages[1]: unknown language code 'xx': use one CLDR knows"),
        ({"languages": ["en", "en"]}, "languages: each language may appear only once"),
        ({"instagram_account_id": "@cafe"}, "instagram_account_id: String should match pattern"),
        ({"client_id": "Demo Venue"}, "client_id: String should match pattern"),
        (
            {"followup_delay_minutes": 2000},
            "followup_delay_minutes: Input should be less than or equal to 1380",
        ),
        ({"colour": "red"}, "colour: unknown field (check the spelling)"),
        ({"messages": {"fr": {"prize_awarded": "x"}}}, "messages: fr: language is not listed in languages"),
        ({"messages": {"en": {"prize_awardd": "x"}}}, "messages: en: unknown message key(s) prize_awardd"),
        (
            {"claim_policy": {"kind": "cooldown"}},
            "claim_policy: cooldown_hours is required when kind is 'cooldown'",
        ),
        (
            {"report": {"recipients": ["not-an-email"], "sender": "a@b.example"}},
            "report.recipients[0]: 'not-an-email' is not an email address",
        ),
    ],
)
def test_bad_values_are_refused_with_field_path_and_reason(change: dict[str, Any], expected: str) -> None:
    problems = problems_of(change)
    assert any(p.startswith(expected) for p in problems), problems


def test_a_secret_value_in_place_of_its_name_is_refused() -> None:
    secrets = dict(DEMO["secrets"], meta_access_token="EAAG1234secretvalue")
    (problem,) = problems_of({"secrets": secrets})
    assert problem.startswith("secrets.meta_access_token: must be the name of an SSM SecureString parameter")
    assert "EAAG1234secretvalue" not in problem


def test_missing_required_field_is_named() -> None:
    assert problems_of(drop="review_links") == ["review_links: Field required"]


def test_every_prize_is_named_in_every_language_offered_besides_the_default() -> None:
    prizes = deepcopy(DEMO["prizes"])
    del prizes[0]["names"]["pt"]
    del prizes[2]["names"]
    assert problems_of({"prizes": prizes}) == [
        "prizes[0].names.pt: missing: guests choosing pt would see the default name 'Free espresso'",
        "prizes[2].names.de: missing: guests choosing de would see the default name 'Brunch for two'",
        "prizes[2].names.pt: missing: guests choosing pt would see the default name 'Brunch for two'",
    ]


def test_duplicate_prize_ids_are_refused() -> None:
    prizes = deepcopy(DEMO["prizes"])
    prizes[1]["id"] = "espresso"
    assert problems_of({"prizes": prizes}) == ["prizes: prize ids must be unique, repeated: espresso"]


def test_the_currency_is_an_iso_code_babel_knows_and_eur_by_default() -> None:
    without = {key: value for key, value in DEMO.items() if key != "currency"}  # a file from before the field
    assert parse_client_config(without, "old.yaml", DEMO_CONFIG.parent).currency == "EUR"
    assert parse_client_config(DEMO | {"currency": "MXN"}, "t", DEMO_CONFIG.parent).currency == "MXN"
    for typed in ("eur", "EURO", "ABC", "€"):
        assert problems_of({"currency": typed}) == [
            f"currency: {typed!r} is not an ISO 4217 currency code (e.g. EUR, GBP, MXN)"
        ]


def test_file_must_be_named_after_its_client(tmp_path: Path) -> None:
    (tmp_path / "other.yaml").write_text(DEMO_TEXT_NO_ASSETS, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_client_configs([tmp_path / "other.yaml"])
    assert raised.value.problems == [f"{tmp_path / 'other.yaml'}: client_id: 'demo' must match the file name ('other')"]


def test_unreadable_yaml_and_non_mapping_are_clear(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("client_id: [unclosed", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\(file\): not valid YAML"):
        load_client_config(broken)
    listed = tmp_path / "listed.yaml"
    listed.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="must be a mapping"):
        load_client_config(listed)


def test_the_json_the_stack_ships_is_read_as_json(tmp_path: Path) -> None:
    shipped = tmp_path / "client.json"
    config = parse_client_config(yaml.safe_load(DEMO_TEXT_NO_ASSETS), "demo.yaml")
    shipped.write_text(config.model_dump_json(indent=2), encoding="utf-8")
    assert load_client_config(shipped).model_dump() == config.model_dump()
    shipped.write_text('{"client_id": "demo",', encoding="utf-8")  # a truncated file: JSON's error, not YAML's
    with pytest.raises(ConfigError, match=r"\(file\): not valid JSON"):
        load_client_config(shipped)


def test_yes_no_on_and_off_are_words_in_a_client_file_as_in_yaml_1_2(tmp_path: Path) -> None:
    # As the file's own comment offers `off`, and reply ids written without quotes: YAML 1.1 made them booleans.
    text = DEMO_TEXT_NO_ASSETS.replace("channels: email ", "channels: off ", 1)
    text = text.replace('- id: "yes"', "- id: yes", 1).replace('- id: "no"', "- id: no", 1)
    text = text.replace("bot_disclosure: true ", "bot_disclosure: false ", 1).replace("personal: true", "personal: no")
    assert "channels: off " in text and "- id: yes" in text and "bot_disclosure: false " in text
    (tmp_path / "demo.yaml").write_text(text, encoding="utf-8")
    config = load_client_config(tmp_path / "demo.yaml")
    assert config.contact_capture.channels == "off"
    assert [reply.id for reply in config.questions[0].replies][:2] == ["yes", "no"]
    assert config.bot_disclosure is False  # true and false are still booleans
    assert not any(question.personal for question in config.questions)  # `no` read as a word, then by pydantic


def test_coupon_assets_must_exist_and_stay_beside_the_config(tmp_path: Path) -> None:
    text = DEMO_TEXT_NO_ASSETS.replace("fonts: []", "fonts: [fonts/missing.ttf]")
    (tmp_path / "demo.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_client_config(tmp_path / "demo.yaml")
    assert raised.value.problems == [f"coupon: asset {tmp_path / 'fonts/missing.ttf'} does not exist"]
    coupon = dict(DEMO["coupon"], logo="../../etc/passwd")
    assert problems_of({"coupon": coupon}) == [
        "coupon.logo: ../../etc/passwd: must be a path relative to the config file's folder, without '..'"
    ]
    assert problems_of({"coupon": dict(DEMO["coupon"], accent="orange")})[0].startswith("coupon.accent: String should")


def test_a_logo_must_be_a_png_or_a_jpeg(tmp_path: Path) -> None:
    (tmp_path / "demo.yaml").write_text(DEMO_TEXT_NO_ASSETS.replace("logo: null", "logo: logo.img"), encoding="utf-8")
    (tmp_path / "logo.img").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF")
    assert load_client_config(tmp_path / "demo.yaml").coupon.logo == Path("logo.img")
    (tmp_path / "logo.img").write_bytes(b"RIFF\x1a\x00\x00\x00WEBPVP8L")  # the conversation's Pillow reads no WebP
    with pytest.raises(ConfigError) as raised:
        load_client_config(tmp_path / "demo.yaml")
    assert raised.value.problems == ["coupon.logo: logo.img: must be a PNG or JPEG image (the coupon reads only those)"]


def test_a_typo_in_a_placeholder_is_refused_with_the_text_path() -> None:
    messages = {"en": {"prize_awarded": "Your prize: {prise}, code {code}"}}
    assert problems_of({"messages": messages}) == [
        "messages.en.prize_awarded: unknown placeholder {prise} (allowed: {code}, {prize}, {valid_until}, {venue})"
    ]


def test_the_code_cannot_be_left_out_of_the_prize_text() -> None:
    (problem,) = problems_of({"messages": {"de": {"prize_awarded": "Du hast gewonnen: {prize}!"}}})
    assert problem.startswith("messages.de.prize_awarded: missing placeholder {code}")


def test_an_over_long_quick_reply_title_is_refused() -> None:
    (problem,) = problems_of({"messages": {"pt": {"answer_yes": "Sim, claro, com todo o prazer"}}})
    assert problem == (
        "messages.pt.answer_yes: 'Sim, claro, com todo o prazer' is 29 characters; quick reply titles take at most 20"
    )


def test_texts_over_metas_byte_limit_are_refused() -> None:
    (problem,) = problems_of({"messages": {"en": {"fallback": "Mention @{instagram_username}! " + "🎉" * 300}}})
    assert problem.startswith("messages.en.fallback: up to ") and problem.endswith("Meta takes at most 1000")


def test_contact_capture_needs_consent_in_every_language() -> None:
    capture = dict(DEMO["contact_capture"], consent_text={"en": "We email offers monthly; stop any time."})
    assert problems_of({"contact_capture": capture}) == ["contact_capture.consent_text: missing for de, pt"]


@pytest.mark.parametrize(
    "moved",
    [["meta_app_secret"], ["meta_verify_token"], ["meta_app_secret", "meta_verify_token"]],
    ids=["app-secret", "verify-token", "both"],
)
def test_the_apps_secrets_in_a_client_file_are_refused_pointing_at_agency_yaml(moved: list[str]) -> None:
    secrets = dict(DEMO["secrets"], **{name: f"/tagback/demo/{name}" for name in moved})
    (problem,) = problems_of({"secrets": secrets})
    assert problem.startswith(f"secrets: {', '.join(moved)}: the Meta app is the agency's, one for every venue")
    assert "agency.yaml" in problem


def test_the_client_id_edge_is_refused() -> None:
    (problem,) = problems_of({"client_id": "edge"})
    assert problem.startswith("client_id: ") and "Tagback-Edge" in problem


def write_client(folder: Path, client_id: str, account: str) -> Path:
    path = folder / f"{client_id}.yaml"
    text = DEMO_TEXT_NO_ASSETS.replace("client_id: demo", f"client_id: {client_id}")
    text = text.replace("/tagback/demo/", f"/tagback/{client_id}/")
    path.write_text(text.replace('"17841400000000001"', f'"{account}"'), encoding="utf-8")
    return path


def test_two_clients_with_one_instagram_account_are_refused_naming_both_files(tmp_path: Path) -> None:
    first = write_client(tmp_path, "aurora", "17841400000000001")
    other = write_client(tmp_path, "bar", "17841400000000002")
    second = write_client(tmp_path, "cantina", "17841400000000001")
    with pytest.raises(ConfigError) as raised:
        load_client_configs(path for path in (second, other, first))  # any iterable, in any order
    (problem,) = raised.value.problems
    assert problem == (
        f"{second}: instagram_account_id: 17841400000000001 is already the account of client 'aurora' "
        f"(Café Aurora, {first}): one account is one venue"
    )


SSM_PARAMETERS = {
    "secrets.meta_access_token": "/tagback/demo/meta-access-token",
    "secrets.coupon_signing_key": "/tagback/demo/coupon-signing-key",
    "report.places_api_key_param": "/tagback/demo/google-places-api-key",
    "integrations.google_sheets.service_account_param": "/tagback/demo/google-service-account",
    "integrations.webhook.secret_param": "/tagback/demo/crm-webhook-secret",
}


def test_a_copy_of_the_demo_pointing_at_its_secrets_is_refused_naming_every_parameter() -> None:
    problems = problems_of({"client_id": "newvenue"})
    assert problems == [
        f"{where}: {name} is not under /tagback/newvenue/: each venue's secrets are its own (README: Add a venue)"
        for where, name in SSM_PARAMETERS.items()
    ]


def test_every_ssm_parameter_of_the_model_is_checked() -> None:
    # A new SsmName field must be added to ClientConfig.ssm_parameters, else a copied file could keep pointing at it.
    config = load_client_config(DEMO_CONFIG)
    assert config.ssm_parameters() == SSM_PARAMETERS


def test_the_signing_key_must_have_the_name_the_redemption_page_reads() -> None:
    secrets = dict(DEMO["secrets"], coupon_signing_key="/tagback/demo/signing-key")
    assert problems_of({"secrets": secrets}) == [
        "secrets.coupon_signing_key: must be /tagback/demo/coupon-signing-key: the staff redemption page reads the "
        "key by that name"
    ]


def test_a_parameter_sharing_only_the_prefix_text_is_refused() -> None:
    secrets = dict(DEMO["secrets"], meta_access_token="/tagback/demo-old/meta-access-token")
    (problem,) = problems_of({"secrets": secrets})
    assert problem.startswith(
        "secrets.meta_access_token: /tagback/demo-old/meta-access-token is not under /tagback/demo/"
    )


def test_clients_with_their_own_accounts_load_together(tmp_path: Path) -> None:
    paths = [write_client(tmp_path, "aurora", "17841400000000001"), write_client(tmp_path, "bar", "17841400000000002")]
    assert [c.instagram_account_id for c in load_client_configs(paths)] == ["17841400000000001", "17841400000000002"]


@pytest.mark.parametrize(
    ("username", "reason"),
    [
        ("@cafe.aurora", "instagram_username: '@cafe.aurora': write it without the '@'"),
        ("cafe aurora", "instagram_username: 'cafe aurora' is not an Instagram username: at most 30 letters, digits"),
        ("c" * 31, f"instagram_username: '{'c' * 31}' is not an Instagram username"),
        ("café", "instagram_username: 'café' is not an Instagram username"),
    ],
)
def test_the_instagram_username_is_one_instagram_allows(username: str, reason: str) -> None:
    (problem,) = problems_of({"instagram_username": username})
    assert problem.startswith(reason)


def test_the_instagram_username_is_required() -> None:
    assert problems_of(drop="instagram_username") == ["instagram_username: Field required"]


DUTCH_CONFIG = ROOT / "tests" / "fixtures" / "clients" / "tulp.yaml"
DUTCH: dict[str, Any] = yaml.safe_load(DUTCH_CONFIG.read_text(encoding="utf-8"))


def dutch_problems(**changes: Any) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        parse_client_config(deepcopy(DUTCH) | changes, "tulp.yaml", DUTCH_CONFIG.parent)
    return raised.value.problems


def test_a_client_file_adds_a_language_with_every_text() -> None:
    config = load_client_config(DUTCH_CONFIG)
    assert config.languages == ["nl", "en"] and config.default_language == "nl"


def test_a_language_without_built_in_texts_needs_every_one_listed_by_path() -> None:
    texts = {key: text for key, text in DUTCH["messages"]["nl"].items() if key not in ("review_question", "ask_phone")}
    assert dutch_problems(messages={"nl": texts}) == [
        "messages.nl.ask_phone: missing: nl has no built-in texts, so the client file gives every one",
        "messages.nl.review_question: missing: nl has no built-in texts, so the client file gives every one",
    ]
    (problem,) = dutch_problems(messages={})
    assert problem.startswith("messages.nl: missing: nl has no built-in texts (built in: en, de, es, fr, it, pt)")


def test_an_added_languages_texts_are_checked_like_overrides() -> None:
    texts = DUTCH["messages"]["nl"] | {"prize_awarded": "Je prijs: {prijs}", "answer_no": "Nee, liever niet, dank je"}
    assert dutch_problems(messages={"nl": texts}) == [
        "messages.nl.answer_no: 'Nee, liever niet, dank je' is 25 characters; quick reply titles take at most 20",
        "messages.nl.prize_awarded: unknown placeholder {prijs}; missing placeholder {code} "
        "(allowed: {code}, {prize}, {valid_until}, {venue})",
    ]


@pytest.mark.parametrize(
    ("languages", "expected"),
    [
        (["nl", "xx"], "languages[1]: unknown language code 'xx': use one CLDR knows, e.g. nl, ja, pt-BR"),
        (["nl", "pt_BR"], "languages[1]: unknown language code 'pt_BR'"),
        (["nl", "EN"], "languages[1]: 'EN': write it 'en'"),
        (
            ["nl", "en-US"],
            "languages[1]: en-US: its button would read 'English (United States)', 23 characters; quick reply titles "
            "take at most 20",
        ),
        (["nl", "en", "de", "es", "fr", "it", "pt", "ja", "pl", "sv", "da", "fi", "cs", "tr"], "languages: List"),
    ],
)
def test_languages_are_codes_cldr_knows_with_a_name_that_fits_a_button(languages: list[str], expected: str) -> None:
    (problem,) = dutch_problems(languages=languages)
    assert problem.startswith(expected)


def test_an_unknown_code_is_refused_wherever_texts_are_given_per_language() -> None:
    prizes = [DUTCH["prizes"][0] | {"names": {"xx": "Gratis"}}, DUTCH["prizes"][1]]
    (problem,) = dutch_problems(prizes=prizes)
    assert problem.startswith("prizes[0].names.xx: unknown language code 'xx'")


def test_the_report_is_in_a_language_it_has_labels_in() -> None:
    (problem,) = dutch_problems(report=DUTCH["report"] | {"language": "nl"})
    assert problem == "report.language: the monthly report has no labels in nl; choose one of de, en, es, fr, it, pt"
    assert load_client_config(DUTCH_CONFIG).report_language == "en"  # Dutch has none: English
    assert load_client_config(ROOT / "clients" / "luna.yaml").report_language == "es"  # the default language's


def test_the_language_question_asked_again_in_every_language_must_fit_one_message() -> None:
    long = {lang: {"language_unclear": "Which language? " + "·" * 200} for lang in ("en", "de", "pt")}
    (problem,) = problems_of({"messages": long})
    assert problem.startswith("languages: the language question asked again says messages.<language>.language_unclear")
    assert problem.endswith("Meta takes at most 1000")


AGENCY: dict[str, Any] = yaml.safe_load((ROOT / "agency.yaml").read_text(encoding="utf-8"))


def agency_problem(tmp_path: Path, data: object) -> str:
    path = tmp_path / "agency.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(AgencyConfigError) as raised:
        load_agency_config(path)
    return str(raised.value)


def test_the_agency_config_loads() -> None:
    agency = load_agency_config(ROOT / "agency.yaml")
    assert agency.agency_name == "Demo Agency"
    assert agency.meta.app_id == "990000000000001" and agency.meta.api_version == "v25.0"
    assert agency.meta.subscribed_fields == ("messages", "messaging_postbacks")
    assert agency.secrets.meta_app_secret == "/tagback/edge/meta-app-secret"
    assert agency.secrets.meta_verify_token == "/tagback/edge/meta-verify-token"


def test_the_agency_configs_defaults() -> None:
    minimal = {
        "agency_name": "A",
        "meta": {"app_id": "12345"},
        "secrets": AGENCY["secrets"],
        "alerts": AGENCY["alerts"],
    }
    agency = type(load_agency_config(ROOT / "agency.yaml")).model_validate(minimal)
    assert agency.meta.api_version == "v25.0" and agency.meta.login_redirect_uri is None
    assert agency.meta.subscribed_fields == ("messages", "messaging_postbacks")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"meta": {"app_id": "my-app"}}, "meta.app_id: String should match pattern"),
        ({"meta": {"app_id": "12345", "api_version": "25"}}, "meta.api_version: String should match pattern"),
        (
            {"meta": {"app_id": "12345", "subscribed_fields": []}},
            "meta.subscribed_fields: Tuple should have at least 1 item",
        ),
        ({"meta": {"app_id": "12345", "subscribed_fields": ["feed"]}}, "meta.subscribed_fields.0: Input should be"),
        ({"meta": {"app_id": "12345", "login_redirect_uri": "not a url"}}, "meta.login_redirect_uri: Input should be"),
        ({"colour": "red"}, "colour: unknown field (check the spelling)"),
        ({"agency_name": "  "}, "agency_name: String should have at least 1 character"),
        ({"alerts": {"emails": ["ops@agency.example", "ops.agency.example"]}}, "alerts.emails.1: Value error, "),
        ({"alerts": {"emails": []}}, "alerts.emails: Tuple should have at least 1 item"),
        ({"alerts": None}, "alerts: Input should be a valid dictionary"),
    ],
)
def test_a_bad_agency_config_names_the_file_field_and_reason(
    tmp_path: Path, change: dict[str, Any], expected: str
) -> None:
    problem = agency_problem(tmp_path, AGENCY | change)
    assert problem.startswith(f"invalid agency config ({tmp_path / 'agency.yaml'}):\n")
    assert f"  {expected}" in problem, problem


def test_a_secret_value_in_agency_yaml_is_refused_without_repeating_it(tmp_path: Path) -> None:
    problem = agency_problem(tmp_path, AGENCY | {"secrets": dict(AGENCY["secrets"], meta_app_secret="0123abcdsecret")})
    assert "secrets.meta_app_secret: " in problem and "0123abcdsecret" not in problem


def test_a_missing_or_broken_agency_yaml_says_so(tmp_path: Path) -> None:
    with pytest.raises(AgencyConfigError, match="cannot be read"):
        load_agency_config(tmp_path / "agency.yaml")
    (tmp_path / "agency.yaml").write_text("meta: [unclosed", encoding="utf-8")
    with pytest.raises(AgencyConfigError, match="not valid YAML"):
        load_agency_config(tmp_path / "agency.yaml")
    assert agency_problem(tmp_path, ["a", "b"]).endswith(
        "  (top level): Input should be a valid dictionary or instance of AgencyConfig"
    )


def test_agency_alerts_need_an_email_to_reach() -> None:
    assert load_agency_config(ROOT / "agency.yaml").alerts.emails == ("alerts@agency.example",)


def test_an_agency_config_without_alerts_is_refused(tmp_path: Path) -> None:
    data = {name: value for name, value in AGENCY.items() if name != "alerts"}
    assert "  alerts: Field required" in agency_problem(tmp_path, data)


def test_a_venues_alerts_default_to_a_week_of_silence_and_name_its_closed_days() -> None:
    assert parse_client_config(deepcopy(DEMO), "t", DEMO_CONFIG.parent).alerts.no_mention_days == 7
    data = deepcopy(DEMO) | {"alerts": {"no_mention_days": 3, "closed": ["Mon", "sun", "2026-12-25"]}}
    alerts = parse_client_config(yaml.safe_load(yaml.safe_dump(data)), "t", DEMO_CONFIG.parent).alerts
    assert (alerts.no_mention_days, alerts.closed) == (3, ["mon", "sun", "2026-12-25"])


@pytest.mark.parametrize(
    ("alerts", "expected"),
    [
        ({"closed": ["mon", "someday"]}, "alerts.closed[1]: 'someday' is neither a weekday (mon … sun) nor a date"),
        ({"no_mention_days": 61}, "alerts.no_mention_days: "),
        ({"quiet_days": 3}, "alerts.quiet_days: "),
    ],
)
def test_bad_venue_alerts_are_refused_with_their_field(alerts: dict[str, Any], expected: str) -> None:
    problems = problems_of({"alerts": alerts})
    assert any(problem.startswith(expected) for problem in problems), problems
