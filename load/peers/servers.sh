# Sourced by load/run-compare.sh and load/run-polling.sh: how each server of a comparison is built, started and run,
# one at a time, pinned to CPU 0, on loopback, without heartbeat pings (runs are shorter than any ping interval
# anyway), with its own port. Needs load/server-control.sh sourced first (server_pid, wait_for_healthz).
#
#   WsFast   src/WsFast.Server (Release)            WSFAST_PORT  (18080)
#   Kestrel  load/WsFast.Kestrel (Release)          KESTREL_PORT (18081)
#   Bun      load/peers/bun/server.ts               BUN_PORT     (18082)
#   Node     load/peers/node-ws/server.mjs (ws)     NODE_PORT    (18083)
#   WsFastRuntime  src/WsFast.Server with the runtime's sockets instead of its epoll engine (not in the default
#                  set: SERVERS="WsFast WsFastRuntime" compares the two engines)   WSFAST_RUNTIME_PORT (18084)
#
# WsFast is the checkout's own src/WsFast.Server, built here (Release); WSFAST_DLL=path/WsFast.Server.dll runs
# another build instead, unbuilt (e.g. a branch built into its own folder).
#
# TLS (cases that set tls=on, with make_tls_certificate run first): every server listens on its plain port as
# always (/healthz, the feeds' publisher, the probe) and beside it on its TLS port with the same endpoints,
# certificate and key: tls_dir/server.pem and server.key, signed by tls_dir/ca.pem (load/tls/make-cert.sh):
#
#   WsFast   --tls-port --tls-cert --tls-key                    WSFAST_TLS_PORT  (18440)
#   Kestrel  Kestrel:Endpoints:Https with Certificate:Path/KeyPath (PEM)   KESTREL_TLS_PORT (18441)
#   Bun      --tls-port: a second Bun.serve with tls: { cert, key }       BUN_TLS_PORT     (18442)
#   Node     --tls-port: an https.createServer beside the http one        NODE_TLS_PORT    (18443)
#   WsFastRuntime  as WsFast                                    WSFAST_RUNTIME_TLS_PORT (18444)

all_servers=(WsFast Bun Node Kestrel)
wsfast_dll="${WSFAST_DLL:-src/WsFast.Server/bin/Release/net10.0/WsFast.Server.dll}"
kestrel_dll=load/WsFast.Kestrel/bin/Release/net10.0/WsFast.Kestrel.dll
load_dll=load/WsFast.Load/bin/Release/net10.0/WsFast.Load.dll
bun_bin=load/peers/node_modules/.bin/bun
tls_dir=""

# The servers of $SERVERS (names separated by spaces or commas, default all four) into the array `servers`;
# exits on an unknown name.
choose_servers() {
  read -r -a servers <<<"${SERVERS:-${all_servers[*]}}"
  servers=(${servers[@]//,/ })
  for name in "${servers[@]}"; do
    case "$name" in
      WsFast|WsFastRuntime|Bun|Node|Kestrel) ;;
      *) echo "unknown server '$name' in SERVERS: choose from ${all_servers[*]}" >&2; exit 2 ;;
    esac
  done
}

# Builds what the chosen servers and the load tool need (quietly), and installs the peers' packages.
build_servers() {
  local projects=(load/WsFast.Load) name
  for name in "${servers[@]}"; do
    case "$name" in
      WsFast|WsFastRuntime) [[ -z "${WSFAST_DLL:-}" ]] && projects+=(src/WsFast.Server) ;;
      Kestrel) projects+=(load/WsFast.Kestrel) ;;
      Bun|Node) need_peers=1 ;;
    esac
  done
  for project in "${projects[@]}"; do
    dotnet build -c Release -nologo -v q "$project" >/dev/null
  done
  if [[ -n "${need_peers:-}" ]]; then
    bash load/peers/install.sh >/dev/null
  fi
}

port_of() {
  case "$1" in
    WsFast) echo "${WSFAST_PORT:-18080}" ;;
    WsFastRuntime) echo "${WSFAST_RUNTIME_PORT:-18084}" ;;
    Kestrel) echo "${KESTREL_PORT:-18081}" ;;
    Bun) echo "${BUN_PORT:-18082}" ;;
    Node) echo "${NODE_PORT:-18083}" ;;
  esac
}

tls_port_of() {
  case "$1" in
    WsFast) echo "${WSFAST_TLS_PORT:-18440}" ;;
    WsFastRuntime) echo "${WSFAST_RUNTIME_TLS_PORT:-18444}" ;;
    Kestrel) echo "${KESTREL_TLS_PORT:-18441}" ;;
    Bun) echo "${BUN_TLS_PORT:-18442}" ;;
    Node) echo "${NODE_TLS_PORT:-18443}" ;;
  esac
}

# make_tls_certificate DIR: the CA and server certificate of the TLS cases (load/tls/make-cert.sh, ECDSA P-256
# unless TLS_KEY=rsa) into DIR, which becomes tls_dir.
make_tls_certificate() {
  tls_dir="$1"
  KEY="${TLS_KEY:-ecdsa}" bash load/tls/make-cert.sh "$tls_dir" 2>/dev/null
}

# The servers' TLS listener arguments, by `tls` (on or off; off unless a case sets it): nothing when off.
tls_args() {
  local name="$1" port
  [[ "${tls:-off}" == on ]] || return 0
  port="$(tls_port_of "$name")"
  case "$name" in
    WsFast|WsFastRuntime|Bun|Node) echo "--tls-port $port --tls-cert $tls_dir/server.pem --tls-key $tls_dir/server.key" ;;
    Kestrel) echo "--Kestrel:Endpoints:Https:Url=https://127.0.0.1:$port --Kestrel:Endpoints:Https:Certificate:Path=$tls_dir/server.pem --Kestrel:Endpoints:Https:Certificate:KeyPath=$tls_dir/server.key" ;;
  esac
}

# What each server is: its runtime and version, for the notes.
describe_server() {
  case "$1" in
    WsFast) echo "WsFast: ${WSFAST_DLL:-src/WsFast.Server} on .NET $(dotnet --version), its default socket engine (epoll on Linux x86-64)" ;;
    WsFastRuntime) echo "WsFastRuntime: src/WsFast.Server on .NET $(dotnet --version) with --socket-engine runtime" ;;
    Kestrel) echo "Kestrel: load/WsFast.Kestrel (ASP.NET Core) on .NET $(dotnet --version)" ;;
    Bun) echo "Bun: load/peers/bun/server.ts on Bun $("$bun_bin" --version) (Bun.serve, uWebSockets pub/sub)" ;;
    Node) echo "Node: load/peers/node-ws/server.mjs on Node.js $(node --version | tr -d v) with ws $(node -p "require('./load/peers/node_modules/ws/package.json').version")" ;;
  esac
}

# The servers' permessage-deflate settings, by `deflate` (on or off; off unless a case sets it): WsFast agrees by
# default and gets --no-deflate when off, so that cases without deflate compare like with like; Kestrel gets
# DangerousEnableCompression, Bun perMessageDeflate: true, Node ws perMessageDeflate: true (NODE_DEFLATE=no-context
# for serverNoContextTakeover: true). Clients offer it only with the load tool's --deflate.
deflate_args() {
  local name="$1"
  if [[ "${deflate:-off}" == on ]]; then
    case "$name" in
      Kestrel) echo "--WsFast:Deflate=true" ;;
      Bun) echo "--deflate on" ;;
      Node) echo "--deflate ${NODE_DEFLATE:-on}" ;;
    esac
  else
    case "$name" in
      WsFast|WsFastRuntime) echo "--no-deflate" ;;
    esac
  fi
}

# start_server NAME LOG: starts server NAME pinned to CPU 0, logging to LOG, and waits for its /healthz;
# server_pid is its PID (taskset execs the server, so the PID is the server's own).
start_server() {
  local name="$1" log="$2" port extra
  port="$(port_of "$name")"
  read -r -a extra <<<"$(deflate_args "$name") $(tls_args "$name")"
  case "$name" in
    WsFast)
      taskset -c 0 dotnet "$wsfast_dll" --host 127.0.0.1 --port "$port" --ping-interval 0 \
        --max-connections 50000 --log-level Warning "${extra[@]}" >"$log" 2>&1 &
      ;;
    WsFastRuntime)
      taskset -c 0 dotnet "$wsfast_dll" --host 127.0.0.1 --port "$port" --ping-interval 0 \
        --max-connections 50000 --log-level Warning --socket-engine runtime "${extra[@]}" >"$log" 2>&1 &
      ;;
    Kestrel)
      # Kestrel's configured endpoints replace --urls: with TLS the plain one is an endpoint too.
      local plain=(--urls "http://127.0.0.1:$port")
      if [[ "${tls:-off}" == on ]]; then plain=(--Kestrel:Endpoints:Http:Url="http://127.0.0.1:$port"); fi
      taskset -c 0 dotnet "$kestrel_dll" "${plain[@]}" --WsFast:PingIntervalSeconds=0 "${extra[@]}" >"$log" 2>&1 &
      ;;
    Bun)
      taskset -c 0 "$bun_bin" load/peers/bun/server.ts --port "$port" --ping-interval 0 "${extra[@]}" >"$log" 2>&1 &
      ;;
    Node)
      taskset -c 0 node load/peers/node-ws/server.mjs --port "$port" --ping-interval 0 "${extra[@]}" >"$log" 2>&1 &
      ;;
  esac
  server_pid=$!
  if wait_for_healthz "$port"; then
    if [[ "${tls:-off}" != on ]] || wait_for_healthz "$(tls_port_of "$name")" "$tls_dir/ca.pem"; then return 0; fi
    echo "$name did not answer /healthz over TLS on port $(tls_port_of "$name"); see $log" >&2
    return 1
  fi
  echo "$name did not answer /healthz on port $port; see $log" >&2
  return 1
}

# The kernel's count of connections dropped because a listen backlog was full (TcpExtListenOverflows).
listen_overflows() {
  awk '/^TcpExt:/ { if (!seen) { for (i = 2; i <= NF; i++) if ($i == "ListenOverflows") column = i; seen = 1 } else print $column }' /proc/net/netstat
}

# start_results DIR: the run folder, with notes.txt, which `note` appends to (and prints).
start_results() {
  results="$1"
  mkdir -p "$results"
  notes="$results/notes.txt"
  : >"$notes"
}
note() { echo "$*" | tee -a "$notes" >&2; }

# run_load_case SERVER DIR LABEL ARGS...: the load tool with ARGS against SERVER started fresh, pinned to CPU 1,
# its report in DIR; errors and listen-backlog overflows are noted under LABEL.
run_load_case() {
  local server="$1" dir="$2" label="$3"; shift 3
  mkdir -p "$dir"
  start_server "$server" "$dir/server.log"
  local progress="$dir/progress.log"
  # A terminal gets the tool's live progress; a redirected run keeps the plain lines in the run folder.
  if [[ -t 2 ]]; then progress=/dev/stderr; fi
  local status=0 overflows
  overflows="$(listen_overflows)"
  taskset -c 1 dotnet "$load_dll" "$@" --server-pid "$server_pid" --out "$dir" >/dev/null 2>"$progress" || status=$?
  overflows=$(( $(listen_overflows) - overflows ))
  if (( status != 0 )); then
    note "$label: the load tool reported errors or clients that never got ready (exit $status)."
  fi
  if (( overflows > 0 )); then
    note "$label: $overflows connection attempts found the server's listen backlog full (TcpExtListenOverflows); those clients retried after 1 s or more, which is in their connect time."
  fi
  stop_server
}
