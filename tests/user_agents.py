"""Real User-Agent strings, each as recorded by someone who saw it, with where (docs/design.md, "Links that leave the
in-app browser"). The link tests classify and send them."""

from __future__ import annotations

from typing import Final

# Instagram 355 on Android 11 (a Xiaomi Mi A3): https://github.com/shalanah/inapp-debugger/issues/11
INSTAGRAM_ANDROID: Final = (
    "Mozilla/5.0 (Linux; Android 11; Mi A3 Build/RKQ1.200903.002; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Version/4.0 Chrome/131.0.6778.14 Mobile Safari/537.36 Instagram 355.0.0.37.103 Android (30/11; 320dpi; "
    "720x1411; Xiaomi; Mi A3; laurel_sprout; qcom; pt_BR; 657300861)"
)
# Instagram 424.1 on iOS 26.4.1: https://github.com/shalanah/inapp-debugger/issues/22
INSTAGRAM_IOS: Final = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 26_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/23E254 Instagram 424.1.0.31.54 (iPhone18,4; iOS 26_4_1; en_GB; en-GB; scale=3.00; 1260x2736; IABMV/1; "
    "933996394) NW/3 Safari/604.1"
)
# Facebook for Android and for iOS: https://github.com/allinurl/goaccess/issues/804
FACEBOOK_ANDROID: Final = (
    "Mozilla/5.0 (Linux; Android 7.0; SM-G930F Build/NRD90M; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Version/4.0 Chrome/58.0.3029.83 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/127.0.0.22.69;]"
)
FACEBOOK_IOS: Final = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 10_3_2 like Mac OS X) AppleWebKit/603.2.4 (KHTML, like Gecko) Mobile/14F89 "
    "[FBAN/FBIOS;FBAV/96.0.0.45.70;FBBV/60548545;FBDV/iPhone7,2;FBMD/iPhone;FBSN/iOS;FBSV/10.3.2;FBSS/2;FBCR/E-Plus;"
    "FBID/phone;FBLC/de_DE;FBOP/5;FBRV/0]"
)
# Facebook 538 on iOS 18.6.2, without FBAN: https://github.com/shalanah/inapp-spy/issues/57
FACEBOOK_IOS_2025: Final = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_6_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/22G100 Safari/604.1 MetaIAB Facebook"
)
# Messenger for Android: https://github.com/matomo-org/device-detector/issues/6867
MESSENGER_ANDROID: Final = (
    "Mozilla/5.0 (Linux; Android 11; RMX1931 Build/RKQ1.200928.002; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Version/4.0 Chrome/93.0.4577.82 Mobile Safari/537.36 [FB_IAB/Orca-Android;FBAV/331.0.0.15.119;]"
)

# Chrome's reduced strings (Android, Windows), from https://www.chromium.org/updates/ua-reduction/ (the platform
# parts as https://gist.github.com/rowan-m/6f008cb407a81b9d52c00adbb9692929 quotes them)
CHROME_ANDROID: Final = (
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36"
)
CHROME_WINDOWS: Final = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
# Safari on macOS, as https://www.npmjs.com/package/reduce-user-agent quotes it
SAFARI_MAC: Final = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/15.3 "
    "Safari/605.1.15"
)
# Safari 17 on an iPhone, as public code widely quotes it (no maker's page lists Safari's strings; the index of
# public repositories used for docs/design.md finds this one in several)
SAFARI_IPHONE: Final = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 "
    "Mobile/15E148 Safari/604.1"
)

# Link previews and crawlers
# Meta's documented crawler: https://developers.facebook.com/docs/sharing/webmasters/web-crawlers/
FACEBOOKEXTERNALHIT: Final = "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"
# Apple's Messages link preview: https://pastebin.com/MHLPZCNY (line 2)
MESSAGES_PREVIEW: Final = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) Version/9.0.1 "
    "Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0"
)
# Slack's: https://api.slack.com/robots (quoted in https://github.com/browscap/browscap/issues/304)
SLACKBOT: Final = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"
# Discord's and Telegram's: https://github.com/WoltLab/WCF/issues/2970
DISCORDBOT: Final = "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)"
TELEGRAMBOT: Final = "TelegramBot (like TwitterBot)"
# WhatsApp's preview fetcher: "WhatsApp/2" (https://github.com/flyerhq/flutter_link_previewer/pull/43)
WHATSAPP: Final = "WhatsApp/2.23.20.0 A"
# Twitter's: https://developer.twitter.com/en/docs/twitter-for-websites/cards/guides/getting-started#crawling
TWITTERBOT: Final = "Twitterbot/1.0"
# Google's smartphone crawler, whose string names Android:
# https://developers.google.com/search/docs/crawling-indexing/overview-google-crawlers
GOOGLEBOT_SMARTPHONE: Final = (
    "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.6778.69 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
)
