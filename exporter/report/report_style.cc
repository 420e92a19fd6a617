#include "exporter/report/report_style.h"

namespace pe {

std::string_view ReportStylesheet() {
  static constexpr std::string_view kStyle =
      R"(:root{--ink:#1f2933;--muted:#65717e;--line:#e3e8ee;--bg:#f4f6f9;--card:#fff;
--ok:#1a7f37;--ok-bg:#dcf5e3;--warn:#9a6700;--warn-bg:#fff1c2;--bad:#c62828;
--bad-bg:#fde2e1;--info:#0b5cad;--info-bg:#ddeeff;--grey:#57606a;
--grey-bg:#eceff2;--quar:#7b3fb0;--quar-bg:#f0e4fb}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);
font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",
"DejaVu Sans",sans-serif}
main{max-width:1040px;margin:0 auto;padding:28px 24px 40px}
code,pre,.mono{font-family:ui-monospace,"SFMono-Regular","DejaVu Sans Mono",
Menlo,Consolas,monospace;font-size:13px}
header.top{background:var(--card);border:1px solid var(--line);
border-radius:12px;padding:22px 26px;margin-bottom:18px;
border-left:6px solid var(--accent,var(--grey))}
.kicker{text-transform:uppercase;letter-spacing:.08em;font-size:12px;
color:var(--muted);font-weight:600}
h1{margin:4px 0 6px;font-size:24px;line-height:1.3;display:flex;
flex-wrap:wrap;align-items:center;gap:12px}
h1 .run-id{overflow-wrap:anywhere}
.crumbs{margin:0;color:var(--muted)}
.crumbs span+span:before{content:"\203A";margin:0 8px;color:#a0a8b2}
h2{font-size:16px;margin:0 0 12px}
h3{font-size:15px;margin:0;display:flex;flex-wrap:wrap;align-items:baseline;
gap:6px 10px}
.badge{display:inline-block;border-radius:999px;padding:2px 12px;
font-size:13px;font-weight:600;line-height:1.6;white-space:nowrap;
color:var(--c);background:var(--c-bg);border:1px solid var(--c)}
.ok{--c:var(--ok);--c-bg:var(--ok-bg);--accent:var(--ok)}
.warn{--c:var(--warn);--c-bg:var(--warn-bg);--accent:#d4a72c}
.bad{--c:var(--bad);--c-bg:var(--bad-bg);--accent:var(--bad)}
.quar{--c:var(--quar);--c-bg:var(--quar-bg);--accent:var(--quar)}
.info{--c:var(--info);--c-bg:var(--info-bg);--accent:var(--info)}
.grey{--c:var(--grey);--c-bg:var(--grey-bg);--accent:var(--grey)}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));
gap:12px;margin-bottom:18px}
.tile{background:var(--card);border:1px solid var(--line);border-radius:10px;
padding:12px 16px}
.tile .v{font-size:22px;font-weight:650;line-height:1.3}
.tile .l{font-size:12px;color:var(--muted);text-transform:uppercase;
letter-spacing:.06em}
.tile.alert .v{color:var(--bad)}
section.card{background:var(--card);border:1px solid var(--line);
border-radius:12px;padding:18px 22px;margin-bottom:18px}
table.kv{border-collapse:collapse;width:100%}
table.kv th{text-align:left;font-weight:600;color:var(--muted);
width:170px;vertical-align:top;padding:6px 12px 6px 0}
table.kv td{padding:6px 0;overflow-wrap:anywhere}
table.kv tr+tr th,table.kv tr+tr td{border-top:1px solid var(--line)}
.muted{color:var(--muted)}
.bar{display:flex;height:14px;border-radius:7px;overflow:hidden;
background:var(--grey-bg);margin:4px 0 10px}
.bar span{display:block;min-width:3px}
.s-completed{background:#2da44e}.s-failed{background:#d73a49}
.s-skipped{background:#a0a8b2}.s-other{background:#79b8ff}
ul.legend{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;
gap:6px 20px}
ul.legend li{display:flex;align-items:center;gap:7px}
.dot{width:11px;height:11px;border-radius:3px;display:inline-block}
article.step{border:1px solid var(--line);border-left:4px solid var(--bad);
border-radius:8px;padding:12px 16px;margin-top:12px}
article.step .meta{margin:4px 0 8px;font-size:13px;color:var(--muted)}
.step-name{overflow-wrap:anywhere}
pre.error{margin:0;padding:12px 14px;background:#1e2329;color:#f0f3f6;
border-radius:6px;white-space:pre-wrap;overflow-wrap:anywhere;
max-height:26em;overflow:auto;line-height:1.45}
.hash{overflow-wrap:anywhere}
footer{color:var(--muted);font-size:13px;text-align:center;margin-top:8px}
)";
  return kStyle;
}

}  // namespace pe
