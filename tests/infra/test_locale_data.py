"""A venue's layers keep Babel's locale data of the locales its functions format with, and of every locale Babel
merges into them; nothing of the languages it does not speak."""

from __future__ import annotations

import pytest

from infra.assets import locale_data_of
from tagback.config.model import ClientConfig

pytestmark = pytest.mark.infra


def test_a_venue_keeps_its_languages_its_reports_region_and_their_parents(demo_config: ClientConfig) -> None:
    mexican = demo_config.model_copy(  # only the fields that choose the locales
        update={
            "timezone": "America/Mexico_City",
            "languages": ["es", "zh-Hant", "pt-BR"],
            "report": demo_config.report.model_copy(update={"language": "es"}),
        }
    )
    kept = locale_data_of(mexican)
    # es_MX (the report's money and dates) inherits from es_419 (CLDR's parent exception), then es; pt_BR from pt.
    assert {"es_MX", "es_419", "es", "zh_Hant", "zh", "pt_BR", "pt", "en", "en_001", "root"} <= kept
    assert not {"fr", "de", "en_PT", "es_ES", "zh_Hans"} & kept
