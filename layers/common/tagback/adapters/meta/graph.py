"""Meta's Graph API over `requests`: Send API (text, image, quick replies, button template), User Profile, the
Conversations API (what the venue sent a guest) and account insights.

Errors are classified as Meta documents them (../shared/reference/meta-messaging.md): throttling (4, 17, 32, 613,
80002) and temporary (2, 1200, 5xx with Meta's error body) are retried here with bounded exponential backoff and
jitter; outside the messaging window (10/2018278, 10/2534022) and user unavailable (551) are permanent; token and
permission errors (190, 10 without a subcode, 200–299) are permanent and alarmed. A send is retried only when Meta
cannot have delivered it: a connection never made (refused, DNS, connect timeout) or Meta's answer that it failed.
A send whose answer was lost after the request left — a read timeout, a connection closed before the answer, a 5xx
without Meta's error body (a gateway's), Meta's "unknown error" (code 1) — is UNCERTAIN and not retried: the caller
looks it up in the conversation first (docs/design.md, "Which failed sends may be sent again"). Reads are retried on
any of these. The access token travels in the Authorization header only, so it never appears in a URL, a log line or
an exception; it is read per request, so a token renewed in SSM is used without a redeploy.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError

from tagback.config.model import ClientConfig
from tagback.domain.messaging import (
    BUTTON_TEXT_LIMIT,
    QUICK_REPLY_LIMIT,
    QUICK_REPLY_TITLE_LIMIT,
    TEXT_LIMIT_BYTES,
    ErrorKind,
    GraphError,
    Profile,
    QuickReply,
    SentMessage,
    UrlButton,
)
from tagback.domain.runtime import seconds_left
from tagback.observability import logger

HOSTS = {"instagram": "https://graph.instagram.com", "facebook": "https://graph.facebook.com"}
# Account insights still offered after v21/v22 removed profile_views, website_clicks and impressions
# (../shared/reference/meta-messaging.md), and the names the stats item stores them under.
INSIGHT_METRICS = {
    "reach": "reach",
    "views": "views",
    "accounts_engaged": "engaged",
    "profile_links_taps": "profile_links_taps",
    "follows_and_unfollows": "follows_and_unfollows",
}
RETRY_MARGIN_SECONDS = 2.0  # left for recording the failure and answering Lambda
# The Conversations API details only a conversation's 20 most recent messages (Graph API "Conversation" reference).
DETAILED_MESSAGES = 20


def classify(status: int | None, code: int | None, subcode: int | None) -> ErrorKind:
    if code in (4, 17, 32, 613, 80002):
        return ErrorKind.THROTTLED
    if code == 10 and subcode in (2018278, 2534022):
        return ErrorKind.OUTSIDE_WINDOW
    if code == 551 or subcode == 1545041:
        return ErrorKind.USER_UNAVAILABLE
    # 10 alone is "API Permission Denied" (Graph API "Handling Errors"): the venue must grant a permission again.
    if code == 190 or (code == 10 and subcode is None) or (code is not None and 200 <= code <= 299):
        return ErrorKind.AUTH
    if code in (1, 2, 1200) or status is None or status >= 500:
        return ErrorKind.TEMPORARY
    return ErrorKind.REJECTED


def never_connected(error: requests.RequestException) -> bool:
    """Whether a request failed before a connection to Meta was made (refused, unreachable, DNS, connect timeout),
    so Meta never saw it. Anything later may have been sent: requests cannot tell a connection closed before the
    request was read from one closed after."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    reason = error.args[0] if error.args else None
    return isinstance(reason, MaxRetryError) and isinstance(reason.reason, NewConnectionError)


def lost_answer(error: GraphError) -> bool:
    """Whether a send that got this answer may still have been delivered: Meta's "unknown error" (code 1, which its
    Messenger Platform error codes list for sends that succeeded: 1/1357046), or a 5xx without Meta's error body (a
    gateway's, whose backend may have sent it). Meta's own temporary answers (2, 1200) say the send failed."""
    return error.kind is ErrorKind.TEMPORARY and error.status is not None and (error.code == 1 or error.code is None)


class GraphClient:
    def __init__(
        self,
        *,
        access_token: Callable[[], str],
        account_id: str,
        login: Literal["instagram", "facebook"],
        api_version: str,
        base_url: str | None = None,
        timeout: tuple[float, float] = (3.05, 10.0),
        max_attempts: int = 4,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
        seconds_left: Callable[[], float] = seconds_left,
        token_renewed: Callable[[], bool] = lambda: False,
    ) -> None:
        self._token = access_token
        self._token_renewed = token_renewed
        self._root = f"{(base_url or HOSTS[login]).rstrip('/')}/{api_version}"
        # Instagram Login sends (and reads conversations) as the account; Facebook Login as the Page token's "me".
        self._send_path = f"{account_id}/messages" if login == "instagram" else "me/messages"
        self._conversations_path = f"{account_id}/conversations" if login == "instagram" else "me/conversations"
        self._timeout = timeout
        self._max_attempts = max_attempts
        self._sleep = sleep
        self._jitter = jitter
        self._seconds_left = seconds_left
        self._session = requests.Session()  # keeps connections alive across sends

    @classmethod
    def for_client(
        cls,
        config: ClientConfig,
        access_token: Callable[[], str],
        base_url: str | None = None,
        token_renewed: Callable[[], bool] = lambda: False,
    ) -> GraphClient:
        """`token_renewed`, asked when Meta refuses the token: whether a newer one is there now (it is then used)."""
        return cls(
            access_token=access_token,
            token_renewed=token_renewed,
            account_id=config.instagram_account_id,
            login=config.meta.login,
            api_version=config.meta.api_version,
            base_url=base_url,
        )

    # -- sending ---------------------------------------------------------------------------------------------
    def send_text(self, recipient: str, text: str, quick_replies: Sequence[QuickReply] = ()) -> str:
        if len(text.encode()) > TEXT_LIMIT_BYTES:
            raise ValueError(f"text is {len(text.encode())} bytes; Meta accepts {TEXT_LIMIT_BYTES}")
        message: dict[str, Any] = {"text": text}
        if quick_replies:
            message["quick_replies"] = [_quick_reply(q) for q in _checked(quick_replies)]
        return self._send(recipient, message)

    def send_image(self, recipient: str, url: str) -> str:
        return self._send(recipient, {"attachment": {"type": "image", "payload": {"url": url}}})

    def send_buttons(self, recipient: str, text: str, buttons: Sequence[UrlButton]) -> str:
        if not 1 <= len(buttons) <= 3 or len(text) > BUTTON_TEXT_LIMIT:
            raise ValueError("a button template takes 1 to 3 buttons and at most 640 characters of text")
        payload = {
            "template_type": "button",
            "text": text,
            "buttons": [{"type": "web_url", "url": b.url, "title": b.title} for b in buttons],
        }
        return self._send(recipient, {"attachment": {"type": "template", "payload": payload}})

    def _send(self, recipient: str, message: dict[str, Any]) -> str:
        body = self._request(
            "POST", self._send_path, sending=True, json={"recipient": {"id": recipient}, "message": message}
        )
        if not body.get("message_id"):  # accepted, so probably delivered, but unnamed: looked up like a lost answer
            raise GraphError(ErrorKind.UNCERTAIN, 200, None, None, "Meta's answer names no message_id")
        return str(body["message_id"])

    # -- reading ---------------------------------------------------------------------------------------------
    def profile(self, guest_id: str) -> Profile:
        body = self._request("GET", guest_id, params={"fields": "name,username"})
        return Profile(name=body.get("name") or None, username=body.get("username") or None)

    def sent_since(self, recipient: str, since: datetime) -> list[SentMessage]:
        """What the venue sent `recipient` at or after `since`, from the Conversations API as Meta documents it
        (Instagram Platform, "Get Conversations"): the conversation with the guest
        (`/<account>/conversations?platform=instagram&user_id=<IGSID>`), its messages
        (`/<conversation>?fields=messages`: each `id` and `created_time`), then each recent one's `from` and
        `message` (`/<message>?fields=…`). No conversation: nothing was sent. Raises GraphError when Meta cannot be
        read."""
        query = {"platform": "instagram", "user_id": recipient}
        found = self._request("GET", self._conversations_path, params=query).get("data") or []
        if not found:
            return []
        listed = self._request("GET", str(found[0]["id"]), params={"fields": "messages"})
        messages = (listed.get("messages") or {}).get("data") or []  # newest first, as Meta lists them
        recent = [m for m in messages if "created_time" not in m or _graph_time(m["created_time"]) >= since]
        sent = []
        for message in recent[:DETAILED_MESSAGES]:
            detail = self._request("GET", str(message["id"]), params={"fields": "id,created_time,from,to,message"})
            if str((detail.get("from") or {}).get("id")) != recipient:  # the venue's, not the guest's own
                sent.append(SentMessage(str(detail.get("id") or message["id"]), str(detail.get("message") or "")))
        return sent

    def account_insights(self, account_id: str, since: int, until: int) -> dict[str, float]:
        """A day's account insights (total values) and the follower total; metrics Meta does not return (too few
        followers, lag, errors) are simply absent — the report shows them as not available, never as 0."""
        found: dict[str, float] = {}
        try:
            body = self._request(
                "GET",
                f"{account_id}/insights",
                params={
                    "metric": ",".join(INSIGHT_METRICS),
                    "period": "day",
                    "metric_type": "total_value",
                    "since": since,
                    "until": until,
                },
            )
        except GraphError as error:
            if error.retryable:
                raise
        else:
            for metric in body.get("data", []):
                value = (metric.get("total_value") or {}).get("value")
                if isinstance(value, int | float) and metric.get("name") in INSIGHT_METRICS:
                    found[INSIGHT_METRICS[metric["name"]]] = float(value)
        try:
            account = self._request("GET", account_id, params={"fields": "followers_count"})
        except GraphError as error:
            if error.retryable:
                raise
        else:
            if isinstance(account.get("followers_count"), int):
                found["followers"] = float(account["followers_count"])
        return found

    # -- transport -------------------------------------------------------------------------------------------
    def _request(self, method: str, path: str, *, sending: bool = False, **kwargs: Any) -> dict[str, Any]:
        """`sending`: a Send API request, which may be made again only when Meta cannot have delivered it."""
        try:
            return self._with_retries(method, path, sending, **kwargs)
        except GraphError as error:
            # Renewed since this container cached it (tagback connect, a refresh): once more, with the new token.
            if error.kind is ErrorKind.AUTH and self._token_renewed():
                return self._with_retries(method, path, sending, **kwargs)
            raise

    def _with_retries(self, method: str, path: str, sending: bool, **kwargs: Any) -> dict[str, Any]:
        for attempt in range(1, self._max_attempts + 1):
            try:
                return self._once(method, path, sending, **kwargs)
            except GraphError as error:
                if not error.retryable or attempt == self._max_attempts:
                    raise
                # Exponential backoff with "equal jitter", capped: 0.5 s, 1 s, 2 s … at most 8 s.
                delay = min(8.0, 0.5 * 2 ** (attempt - 1))
                if self._seconds_left() < delay + sum(self._timeout) + RETRY_MARGIN_SECONDS:
                    raise  # no time for another try: fail now, so the caller's retry (Lambda's) takes over
                logger.warning(
                    "graph request failed; trying again",
                    extra={"send": sending, "method": method, "attempt": attempt, "error": str(error)},
                )
                self._sleep(delay / 2 + delay / 2 * self._jitter())
        raise AssertionError("unreachable")  # the loop returns or raises

    def _once(self, method: str, path: str, sending: bool, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self._session.request(
                method,
                f"{self._root}/{path}",
                headers={"Authorization": f"Bearer {self._token()}"},
                timeout=self._timeout,
                **kwargs,
            )
        except requests.RequestException as error:
            unsent = never_connected(error)
            kind = ErrorKind.UNCERTAIN if sending and not unsent else ErrorKind.TEMPORARY
            what = "no connection made" if unsent else "no answer"
            raise GraphError(kind, None, None, None, f"{type(error).__name__}: {what}") from None
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.ok and isinstance(body, dict) and "error" not in body:
            return body
        refused = refusal(response.status_code, response.reason, body)
        if sending and lost_answer(refused):
            raise GraphError(ErrorKind.UNCERTAIN, refused.status, refused.code, refused.subcode, refused.message)
        raise refused


def refusal(status: int, reason: str, body: object) -> GraphError:
    """The GraphError for an answer Meta refused, from its error body: the Graph API's
    `{"error": {"code", "error_subcode", "message"}}`, or the OAuth endpoint's `{"error_type", "code", "error_message"}`
    (api.instagram.com), whose `code` merely repeats the HTTP status."""
    details = body if isinstance(body, dict) else {}
    if isinstance(details.get("error"), dict):
        details = details["error"]
        code, subcode = details.get("code"), details.get("error_subcode")
        code = code if isinstance(code, int) else None
        subcode = subcode if isinstance(subcode, int) else None
    else:
        code = subcode = None
    message = str(details.get("message") or details.get("error_message") or reason)[:200]
    return GraphError(classify(status, code, subcode), status, code, subcode, message)


def _checked(quick_replies: Sequence[QuickReply]) -> Sequence[QuickReply]:
    if len(quick_replies) > QUICK_REPLY_LIMIT:
        raise ValueError(f"Meta accepts at most {QUICK_REPLY_LIMIT} quick replies")
    for reply in quick_replies:
        if len(reply.title) > QUICK_REPLY_TITLE_LIMIT:
            raise ValueError(f"quick reply title {reply.title!r} is over {QUICK_REPLY_TITLE_LIMIT} characters")
    return quick_replies


def _quick_reply(reply: QuickReply) -> dict[str, str]:
    if reply.content_type != "text":
        return {"content_type": reply.content_type}
    return {"content_type": "text", "title": reply.title, "payload": reply.payload}


def _graph_time(value: object) -> datetime:
    """A Graph API time: ISO 8601 (`2026-11-20T12:00:00+0000`, Graph's default) or a Unix timestamp."""
    if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
        return datetime.fromtimestamp(int(value), UTC)
    return datetime.fromisoformat(str(value))
