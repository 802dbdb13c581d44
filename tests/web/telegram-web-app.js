/* A stand-in for https://telegram.org/js/telegram-web-app.js in the browser tests: the few parts
   of Telegram.WebApp the dashboard uses, read from the URL fragment as the real script reads it
   (tgWebAppData, tgWebAppThemeParams, tgWebAppPlatform). downloadFile records what it is given
   in window.__downloads instead of asking Telegram; showConfirm notes the question and says yes. */
(function () {
  "use strict";
  var fragment = new URLSearchParams(location.hash.slice(1));
  var initData = fragment.get("tgWebAppData") || "";
  var themeParams = {};
  try { themeParams = JSON.parse(fragment.get("tgWebAppThemeParams") || "{}"); } catch (e) {}
  var root = document.documentElement.style;
  Object.keys(themeParams).forEach(function (key) {
    root.setProperty("--tg-theme-" + key.replace(/_/g, "-"), themeParams[key]);
  });
  var unsafe = {};
  new URLSearchParams(initData).forEach(function (value, key) {
    unsafe[key] = key === "user" ? JSON.parse(value) : value;
  });
  window.__downloads = [];
  window.__calls = [];
  window.Telegram = {
    WebApp: {
      initData: initData,
      initDataUnsafe: unsafe,
      themeParams: themeParams,
      platform: fragment.get("tgWebAppPlatform") || "unknown",
      version: fragment.get("tgWebAppVersion") || "6.0",
      ready: function () { window.__calls.push("ready"); },
      expand: function () { window.__calls.push("expand"); },
      downloadFile: function (params) { window.__downloads.push(params); },
      showConfirm: function (message, callback) {
        window.__calls.push("confirm: " + message);
        setTimeout(function () { callback(true); }, 0);
      },
    },
  };
})();
