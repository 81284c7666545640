"""The staff redemption page's words, in every built-in language. Staff read the page in the venue's default
language; a venue whose default language has no built-in texts gets English here, as its owner gets the monthly
report (the guests' catalog is the only one a client file must translate). `{…}` are filled in by the page."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

# The edge's pages (this one, the tracked link's hand-off page) speak the built-in catalog's languages, named here:
# the edge imports nothing of Babel (tagback.domain.languages).
EDGE_PAGE_LANGUAGES: Final = ("en", "de", "es", "fr", "it", "pt")


def by_language(texts: Mapping[str, tuple[str, ...]]) -> dict[str, dict[str, str]]:
    """An edge page's words, key → language → text, from each key's texts in the order of EDGE_PAGE_LANGUAGES."""
    return {key: dict(zip(EDGE_PAGE_LANGUAGES, row, strict=True)) for key, row in texts.items()}


_TEXTS: Final[dict[str, tuple[str, str, str, str, str, str]]] = {
    "valid": ("Valid", "Gültig", "Válido", "Valable", "Valido", "Válido"),
    "redeemed": ("Redeemed", "Eingelöst", "Canjeado", "Utilisé", "Riscattato", "Resgatado"),
    "already_used": ("Already used", "Schon eingelöst", "Ya usado", "Déjà utilisé", "Già usato", "Já usado"),
    "expired": ("Expired", "Abgelaufen", "Caducado", "Expiré", "Scaduto", "Expirado"),
    "unknown": (
        "Unknown code",
        "Unbekannter Code",
        "Código desconocido",
        "Code inconnu",
        "Codice sconosciuto",
        "Código desconhecido",
    ),
    "locked": ("Locked", "Gesperrt", "Bloqueado", "Bloqué", "Bloccato", "Bloqueado"),
    "bad_link": (
        "Not a coupon link",
        "Kein Gutschein-Link",
        "No es un enlace de cupón",
        "Pas un lien de coupon",
        "Non è un link di coupon",
        "Não é um link de cupão",
    ),
    "bad_form": (
        "Not sent from this page",
        "Nicht von dieser Seite gesendet",
        "No enviado desde esta página",
        "Non envoyé depuis cette page",
        "Non inviato da questa pagina",
        "Não enviado desta página",
    ),
    "hint_bad_form": (
        "Scan the coupon's QR code again and press Redeem there.",
        "Den QR-Code des Gutscheins erneut scannen und dort Einlösen drücken.",
        "Vuelve a escanear el código QR del cupón y pulsa Canjear allí.",
        "Scannez à nouveau le code QR du coupon et appuyez sur Utiliser.",
        "Scansiona di nuovo il codice QR del coupon e premi Riscatta.",
        "Leia de novo o código QR do cupão e carregue em Resgatar.",
    ),
    "hint_valid": (
        "Enter your PIN and press Redeem. Not redeemed yet: no prize until the page says Redeemed.",
        "PIN eingeben und Einlösen drücken. Noch nicht eingelöst: kein Preis, bis die Seite Eingelöst zeigt.",
        "Introduce tu PIN y pulsa Canjear. Aún sin canjear: no entregues el premio hasta ver Canjeado.",
        "Saisissez votre PIN et appuyez sur Utiliser. Pas encore utilisé : pas de prix avant d'afficher Utilisé.",
        "Inserisci il PIN e premi Riscatta. Non ancora riscattato: niente premio finché non appare Riscattato.",
        "Introduza o seu PIN e carregue em Resgatar. Ainda não resgatado: sem prémio até a página dizer Resgatado.",
    ),
    "hint_redeemed": (
        "Give the prize now.",
        "Jetzt den Preis geben.",
        "Entrega el premio ahora.",
        "Remettez le prix maintenant.",
        "Consegna ora il premio.",
        "Entregue o prémio agora.",
    ),
    "hint_used": (
        "Do not give the prize again.",
        "Den Preis nicht noch einmal geben.",
        "No entregues el premio otra vez.",
        "Ne remettez pas le prix une seconde fois.",
        "Non consegnare di nuovo il premio.",
        "Não entregue o prémio outra vez.",
    ),
    "hint_expired": (
        "Its last day has passed: no prize.",
        "Der letzte Tag ist vorbei: kein Preis.",
        "Su último día ya pasó: sin premio.",
        "Son dernier jour est passé : pas de prix.",
        "L'ultimo giorno è passato: niente premio.",
        "O último dia já passou: sem prémio.",
    ),
    "hint_unknown": (
        "Not a coupon of this venue, or a typo: no prize.",
        "Kein Gutschein dieses Lokals oder ein Tippfehler: kein Preis.",
        "No es un cupón de este local, o hay un error: sin premio.",
        "Pas un coupon de cet établissement, ou une faute de frappe : pas de prix.",
        "Non è un coupon di questo locale, o c'è un errore: niente premio.",
        "Não é um cupão deste espaço, ou há um erro: sem prémio.",
    ),
    "hint_locked": (
        "Too many wrong PINs: this code is locked until {time}. Ask the manager, or scan it again after {time}.",
        "Zu viele falsche PINs: Dieser Code ist bis {time} gesperrt. Die Leitung fragen oder nach {time} erneut "
        "scannen.",
        "Demasiados PIN incorrectos: este código está bloqueado hasta las {time}. Pregunta al encargado o vuelve a "
        "escanearlo después de las {time}.",
        "Trop de PIN erronés : ce code est bloqué jusqu'à {time}. Demandez au responsable, ou scannez-le à nouveau "
        "après {time}.",
        "Troppi PIN errati: questo codice è bloccato fino alle {time}. Chiedi al responsabile o scansionalo di nuovo "
        "dopo le {time}.",
        "Demasiados PIN errados: este código está bloqueado até às {time}. Peça ao gerente ou leia-o de novo depois "
        "das {time}.",
    ),
    "hint_bad_link": (
        "Scan the coupon's QR code again.",
        "Den QR-Code des Gutscheins erneut scannen.",
        "Vuelve a escanear el código QR del cupón.",
        "Scannez à nouveau le code QR du coupon.",
        "Scansiona di nuovo il codice QR del coupon.",
        "Leia de novo o código QR do cupão.",
    ),
    "wrong_pin": (
        "Wrong PIN. {tries} more wrong ones and the code locks.",
        "Falsche PIN. Noch {tries} falsche, dann wird der Code gesperrt.",
        "PIN incorrecto. {tries} más incorrectos: el código se bloquea.",
        "PIN erroné. Encore {tries} erronés: le code sera bloqué.",
        "PIN errato. Altri {tries} errati: il codice si blocca.",
        "PIN errado. Mais {tries} errados: o código fica bloqueado.",
    ),
    "stale_page": (
        "This page was too old: check the coupon and press Redeem again.",
        "Diese Seite war zu alt: Gutschein prüfen und erneut Einlösen drücken.",
        "Esta página era demasiado antigua: revisa el cupón y pulsa Canjear otra vez.",
        "Cette page était trop ancienne : vérifiez le coupon et appuyez à nouveau sur Utiliser.",
        "Questa pagina era troppo vecchia: controlla il coupon e premi di nuovo Riscatta.",
        "Esta página era antiga demais: verifique o cupão e carregue de novo em Resgatar.",
    ),
    "prize": ("Prize", "Preis", "Premio", "Prix", "Premio", "Prémio"),
    "guest": ("Guest", "Gast", "Cliente", "Client", "Cliente", "Cliente"),
    "issued": ("Issued", "Ausgestellt", "Emitido", "Émis", "Emesso", "Emitido"),
    "valid_until": ("Valid until", "Gültig bis", "Válido hasta", "Valable jusqu'au", "Valido fino al", "Válido até"),
    "used_at": ("Used", "Eingelöst", "Usado", "Utilisé", "Usato", "Usado"),
    "used_by": ("By", "Von", "Por", "Par", "Da", "Por"),
    "code": ("Code", "Code", "Código", "Code", "Codice", "Código"),
    "no_name": ("(no name)", "(kein Name)", "(sin nombre)", "(sans nom)", "(senza nome)", "(sem nome)"),
    "erased": (
        "(data erased)",
        "(Daten gelöscht)",
        "(datos borrados)",
        "(données effacées)",
        "(dati cancellati)",
        "(dados apagados)",
    ),
    "someone": (
        "(not recorded)",
        "(nicht erfasst)",
        "(sin registrar)",
        "(non enregistré)",
        "(non registrato)",
        "(não registado)",
    ),
    "pin": ("Staff PIN", "Personal-PIN", "PIN del personal", "PIN du personnel", "PIN del personale", "PIN do pessoal"),
    "redeem": ("Redeem", "Einlösen", "Canjear", "Utiliser", "Riscatta", "Resgatar"),
}

STAFF_LABELS: Final = by_language(_TEXTS)


def page_language(language: str) -> str:
    """The language a venue's staff page is shown in, words and dates: its default language if the page has words
    for it, else English (the edge ships Babel's data for these languages only: infra/assets.py)."""
    return language if language in EDGE_PAGE_LANGUAGES else "en"


def staff_label(key: str, language: str, **values: str) -> str:
    texts = STAFF_LABELS[key]
    text = texts.get(language, texts["en"])
    return text.format(**values) if values else text
