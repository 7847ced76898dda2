/* The live page: its style, the HTML shell the watch server sends, and the script that refreshes the view from the server. */

/** The page's style (the report's, with room for wide charts). */
export const DASHBOARD_STYLE = `.relu-dashboard{font:14px/1.45 system-ui,sans-serif;color:#222}
.relu-dashboard h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ddd}.relu-dashboard .note,.relu-dashboard .status{color:#666}
.relu-dashboard svg{display:block;margin:.3em 0 1em;font-size:10px;max-width:100%;height:auto}.relu-dashboard .pickers{display:flex;gap:1.2em;flex-wrap:wrap}
.relu-dashboard select{font:inherit;max-width:28em}.relu-dashboard h2,.relu-dashboard li{overflow-wrap:anywhere}`

/** The watch page's own frame. */
const PAGE_STYLE = `body{margin:1.5em auto;max-width:84em;padding:0 1em;font:14px/1.45 system-ui,sans-serif}h1{font-size:1.5em;overflow-wrap:anywhere}`

/** The script of the served page: asks the server for the view every second and when a picker changes; same origin only. */
const SCRIPT = `(function(){var view=document.getElementById('view'),state={metric:'normalizedEntropy',site:'',run:''},last='';
function wire(){view.querySelectorAll('select[data-view]').forEach(function(s){s.onchange=function(){state[s.dataset.view]=s.value;refresh()}})}
function refresh(){var q=new URLSearchParams(state).toString();fetch('view?'+q,{cache:'no-store'}).then(function(r){return r.text().then(function(t){return{ok:r.ok,t:t}})}).then(function(x){
if(!x.ok){view.textContent=x.t;last='';return}if(x.t!==last){last=x.t;view.innerHTML=x.t;wire();document.body.dataset.updated=String(Date.now())}}).catch(function(){})}
setInterval(refresh,1000);refresh()})()`

/** The HTML shell of the live page for `dir`: the view loads into it. */
export function dashboardPage(dir: string): string {
  const title = `Activation patterns, live: ${dir}`
  const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)}</title><style>${PAGE_STYLE}${DASHBOARD_STYLE}</style></head>
<body><h1>${esc(title)}</h1><div id="view" class="relu-dashboard"><p class="note">Loading…</p></div><script>${SCRIPT}</script></body></html>\n`
}
