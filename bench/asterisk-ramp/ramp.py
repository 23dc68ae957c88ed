#!/usr/bin/env python3
"""The measuring half of scripts/bench-asterisk.sh (which sets up Asterisk, PostgreSQL and the service).

  ramp.py side --side native|citycontact ...   SIPp calls at each rate; per rate: failed calls, 200 OK delays, CPU per
                                               call of Asterisk, the service and PostgreSQL, the calls stored
  ramp.py report --work DIR ...                the section "Real Asterisk ramp" from both sides' results
  ramp.py skipped --reason TEXT --out FILE     the section saying why there is no measurement

Results of a side go to WORK/results/<side>.json (idle CPU, Asterisk's deepest task-processor queues, one object per
rate), so the report can be rebuilt from them.
"""
import argparse
import collections
import csv
import datetime
import json
import os
import re
import resource
import subprocess
import sys
import time
import wave

HERE = os.path.dirname(os.path.abspath(__file__))
SECTION = "Real Asterisk ramp"
TICK = os.sysconf("SC_CLK_TCK")
# A side stops climbing after this many rates with more failed calls than this share.
GIVE_UP_RATES, GIVE_UP_FAILED = 2, 0.05
# The highest sustained rate is the highest with fewer failed calls than this share.
SUSTAINED_FAILED = 0.01
# Unmeasured calls before a side's first rate.
WARMUP_RATE, WARMUP_SECONDS = 20, 5
# SIPp's own ports on the trunk address (the trunk is identified by address only); the media port is never read.
SIPP_PORT, SIPP_MEDIA_PORT = 35062, 36000
# SIPp above this share of a core may be what limits the rate.
SIPP_BUSY = 0.5
# Seconds without calls after the warm-up, to measure each process's idle CPU.
IDLE_SECONDS, IDLE_SETTLE_SECONDS = 5, 3


def log(message):
    print(f"ramp: {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------------- CPU from /proc

def proc_stat(pid):
    """(ppid, own CPU ticks, reaped children's CPU ticks) of a process, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # The command name is in parentheses and may hold spaces: fields count from the last ')'.
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])


def cpu_seconds(pid):
    stat = proc_stat(pid)
    return None if stat is None else stat[1] / TICK


def cluster_cpu_seconds(postmaster):
    """The postmaster, its live children, and the children it reaped (a backend that ended inside the window moved
    its CPU to the postmaster's children's time, so the window's difference still counts it)."""
    stat = proc_stat(postmaster)
    if stat is None:
        return None
    ticks = stat[1] + stat[2]
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            child = proc_stat(int(entry))
            if child is not None and child[0] == postmaster:
                ticks += child[1]
    return ticks / TICK


# ---------------------------------------------------------------------------------------------------- helpers

def psql(port, sql):
    out = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", "citycontact",
                          "-v", "ON_ERROR_STOP=1", "-tAF", "\t", "-c", sql],
                         check=True, capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines() if line]


def postmaster_pid(port):
    data_directory = psql(port, "SHOW data_directory")[0][0]
    with open(os.path.join(data_directory, "postmaster.pid")) as f:
        return int(f.readline())


def asterisk_cli(args, command):
    return subprocess.run([args.asterisk, "-C", args.asterisk_conf, "-rx", command],
                          check=True, capture_output=True, text=True, timeout=30).stdout


def active_channels(args):
    match = re.search(r"(\d+) active channels?", asterisk_cli(args, "core show channels count"))
    return int(match.group(1)) if match else -1


def wait_until(predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return predicate()


def prompt_seconds(path):
    with wave.open(path) as w:
        return w.getnframes() / w.getframerate()


def percentile(sorted_values, share):
    """Nearest-rank percentile."""
    if not sorted_values:
        return None
    rank = max(1, -(-len(sorted_values) * share // 1))
    return sorted_values[int(rank) - 1]


def log_offset(work):
    path = os.path.join(work, "log", "messages.log")
    return os.path.getsize(path) if os.path.exists(path) else 0


def log_warnings(work, since):
    """Asterisk's warnings and errors written since an offset, counted by message with numbers and ids blanked."""
    path = os.path.join(work, "log", "messages.log")
    counts = collections.Counter()
    if not os.path.exists(path):
        return {}
    with open(path, errors="replace") as f:
        f.seek(since)
        for line in f:
            match = re.match(r"\[[^]]+\] (WARNING|ERROR)\[\d+\](?:\[[^]]*\])?:? (.*)", line)
            if match:
                text = re.sub(r"0x[0-9a-f]+|[0-9a-f]{8}-[0-9a-f-]{27}|\d+", "N", match.group(2).strip())
                counts[f"{match.group(1)} {text}"[:200]] += 1
    return dict(counts.most_common(8))


# ---------------------------------------------------------------------------------------------------- one side

def sipp(args, rate, seconds, caller_prefix, directory):
    """SIPp calls at a rate for some seconds; returns its exit code, CPU seconds and wall seconds."""
    os.makedirs(directory, exist_ok=True)
    prompt = prompt_seconds(args.prompt_file)
    with open(os.path.join(HERE, "caller.xml")) as f:
        scenario = f.read()
    scenario = scenario.replace("@@ANSWER_TIMEOUT_MS@@", str(int(args.answer_timeout * 1000)))
    scenario = scenario.replace("@@BYE_TIMEOUT_MS@@", str(int((prompt + args.bye_timeout) * 1000)))
    with open(os.path.join(directory, "caller.xml"), "w") as f:
        f.write(scenario)
    call_seconds = args.answer_timeout + prompt + args.bye_timeout
    command = ["sipp", args.sip, "-sf", "caller.xml", "-s", args.number,
               "-i", args.trunk_ip, "-p", str(SIPP_PORT), "-mi", args.trunk_ip, "-mp", str(SIPP_MEDIA_PORT),
               "-r", str(rate), "-rp", "1000", "-m", str(rate * seconds),
               # Open loop: never hold calls back, whatever Asterisk does (SIPp's default limit would).
               "-l", str(int(rate * (call_seconds + 5))), "-key", "caller_prefix", caller_prefix,
               # SIPp's finest scheduling; its clock still ticks coarsely (clock_tick measures how coarsely).
               "-timer_resol", "1",
               "-aa", "-nostdin", "-trace_stat", "-stf", "stat.csv", "-fd", "1",
               "-trace_rtt", "-rtt_freq", "1", "-trace_err", "-error_file", "errors.log"]
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    limit = seconds + call_seconds + 120
    most_ari_connections = 0
    with open(os.path.join(directory, "sipp.out"), "w") as screen:
        process = subprocess.Popen(command, cwd=directory, stdout=screen, stderr=subprocess.STDOUT)
        while process.poll() is None:
            most_ari_connections = max(most_ari_connections, ari_connections(args.ari_port))
            if time.monotonic() - started > limit:
                # Its statistics file still counts the calls it made; the ones it had open are missing.
                log(f"SIPp did not finish within {limit:.0f} s and was stopped")
                process.kill()
            time.sleep(0.5)
        code = process.wait()
    wall = time.monotonic() - started
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (children_after.ru_utime + children_after.ru_stime) - (children_before.ru_utime + children_before.ru_stime)
    return code, cpu, wall, most_ari_connections


def ari_connections(port):
    """Established TCP connections to Asterisk's HTTP port (ARI's REST and WebSocket), from /proc/net/tcp."""
    count = 0
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            if fields[3] == "01" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                count += 1
    return count


def warm_up(args):
    """Calls that are not measured, so the first rate does not pay for JIT compilation, pools and caches."""
    directory = os.path.join(args.work, "sipp", f"{args.side}-warm-up")
    code, _, _, _ = sipp(args, WARMUP_RATE, WARMUP_SECONDS, f"{side_digit(args)}0000", directory)
    wait_until(lambda: active_channels(args) == 0, 60)
    log(f"{args.side}: warm-up of {WARMUP_RATE * WARMUP_SECONDS} calls done (SIPp exit {code})")


def side_digit(args):
    return "1" if args.side == "native" else "2"


def run_rate(args, rate, postmaster):
    # Digits only: it is part of the SQL below as well as of every caller number.
    caller_prefix = f"{side_digit(args)}{rate:04d}"
    directory = os.path.join(args.work, "sipp", f"{args.side}-{rate}")
    if not wait_until(lambda: active_channels(args) == 0, 60):
        log(f"{args.side} {rate}/s: Asterisk still has {active_channels(args)} channels from the previous rate")
    asterisk_pid = int(open(os.path.join(args.work, "run", "asterisk.pid")).read().strip())
    log_from = log_offset(args.work)
    before = {"asterisk": cpu_seconds(asterisk_pid), "postgresql": cluster_cpu_seconds(postmaster),
              "service": cpu_seconds(args.service_pid) if args.service_pid else None}
    load_average = os.getloadavg()[0]
    started = time.monotonic()
    sipp_exit, sipp_cpu, sipp_wall, most_ari_connections = sipp(args, rate, args.seconds, caller_prefix, directory)

    stats = read_stats(os.path.join(directory, "stat.csv"))
    successful = stats.get("SuccessfulCall(C)", 0)

    # The window ends when Asterisk is idle and, for CityContact, every successful call is stored and closed (the
    # service writes behind the calls), so each process's CPU for these calls is inside it.
    wait_until(lambda: active_channels(args) == 0, 60)
    stored = None
    if args.side == "citycontact":
        query = f"""SELECT count(*), count(DISTINCT caller), count(*) FILTER (WHERE ended_at IS NULL),
                           count(*) FILTER (WHERE outcome = 'self-service')
                    FROM calls WHERE caller LIKE '{caller_prefix}%' AND length(caller) > {len(caller_prefix)}"""

        def counts():
            rows, distinct, still_open, self_service = (int(v) for v in psql(args.pg_port, query)[0])
            return {"rows": rows, "distinct_callers": distinct, "open": still_open, "self_service": self_service}
        wait_until(lambda: (lambda c: c["open"] == 0 and c["self_service"] >= successful)(counts()), 30)
        stored = counts()
    window = time.monotonic() - started
    after = {"asterisk": cpu_seconds(asterisk_pid), "postgresql": cluster_cpu_seconds(postmaster),
             "service": cpu_seconds(args.service_pid) if args.service_pid else None}

    delays = sorted(read_rtt(directory))
    failed = stats.get("FailedCall(C)", 0)
    created = stats.get("TotalCallCreated", successful + failed)
    result = {
        "rate": rate, "seconds": args.seconds, "created": created, "successful": successful, "failed": failed,
        "failed_share": failed / created if created else 1.0,
        "failures": {k: v for k, v in stats.items()
                     if k.startswith("Failed") and k.endswith("(C)") and k != "FailedCall(C)" and v},
        "out_of_call_messages": stats.get("OutOfCallMsgs(C)", 0), "retransmissions": stats.get("Retransmissions(C)", 0),
        "peak_calls": stats.get("peak_calls", 0), "most_ari_connections": most_ari_connections,
        "answer_ms": {"count": len(delays), "p50": percentile(delays, 0.50), "p99": percentile(delays, 0.99),
                      "max": delays[-1] if delays else None,
                      "step": clock_tick(delays)},
        "cpu_ms_per_call": {name: (None if before[name] is None or after[name] is None or not successful
                                   else (after[name] - before[name]) * 1000 / successful) for name in before},
        "cpu_share": {name: (None if before[name] is None or after[name] is None
                             else (after[name] - before[name]) / window) for name in before},
        "sipp_cpu_share": sipp_cpu / sipp_wall if sipp_wall else None, "sipp_exit": sipp_exit,
        "window_s": window, "load_average_before": load_average, "stored": stored,
        "asterisk_log": log_warnings(args.work, log_from),
    }
    describe(args.side, result)
    return result


def clock_tick(delays):
    """The resolution of SIPp's delays: the most common gap between neighbouring distinct values (its clock ticks)."""
    distinct = sorted(set(delays))
    gaps = collections.Counter(round(b - a, 1) for a, b in zip(distinct, distinct[1:]) if round(b - a, 1) > 0)
    return gaps.most_common(1)[0][0] if gaps else None


def read_stats(path):
    """The last row of SIPp's statistics file, by column name (the cumulative counters are what we need)."""
    if not os.path.exists(path):
        return {}
    with open(path, newline="") as f:
        rows = [row for row in csv.reader(f, delimiter=";") if row]
    if len(rows) < 2:
        return {}
    values = {}
    for name, value in zip(rows[0], rows[-1]):
        try:
            values[name] = int(value)
        except ValueError:
            pass
    if "CurrentCall" in rows[0]:
        column = rows[0].index("CurrentCall")
        values["peak_calls"] = max(int(row[column]) for row in rows[1:] if len(row) > column and row[column].isdigit())
    return values


def read_rtt(directory):
    """Every 200 OK's delay (ms) from SIPp's response-time trace (caller_<pid>_rtt.csv)."""
    delays = []
    for name in os.listdir(directory):
        if name.endswith("_rtt.csv"):
            with open(os.path.join(directory, name)) as f:
                for row in csv.reader(f, delimiter=";"):
                    if len(row) >= 2:
                        try:
                            delays.append(float(row[1]))
                        except ValueError:
                            pass
    return delays


def describe(side, r):
    a = r["answer_ms"]
    cpu = r["cpu_ms_per_call"]
    stored = "" if r["stored"] is None else f", stored {r['stored']['rows']} (open {r['stored']['open']})"
    log(f"{side} {r['rate']}/s: {r['successful']}/{r['created']} ok, {100 * r['failed_share']:.1f}% failed, "
        f"200 OK p50 {fmt(a['p50'])} p99 {fmt(a['p99'])} max {fmt(a['max'])} ms, CPU/call ms: Asterisk {fmt(cpu['asterisk'])} "
        f"service {fmt(cpu['service'])} PostgreSQL {fmt(cpu['postgresql'])}, SIPp {fmt(100 * (r['sipp_cpu_share'] or 0))}% of a core"
        f"{stored}")


def idle_cpu(args, postmaster, seconds=IDLE_SECONDS):
    """Each process's CPU share with no call at all, so a low rate's CPU per call can be read against it."""
    asterisk_pid = int(open(os.path.join(args.work, "run", "asterisk.pid")).read().strip())
    probes = {"asterisk": lambda: cpu_seconds(asterisk_pid), "postgresql": lambda: cluster_cpu_seconds(postmaster),
              "service": lambda: cpu_seconds(args.service_pid) if args.service_pid else None}
    # The service compiles its hot paths again in the background for a moment after the warm-up's calls.
    time.sleep(IDLE_SETTLE_SECONDS)
    before = {name: probe() for name, probe in probes.items()}
    time.sleep(seconds)
    after = {name: probe() for name, probe in probes.items()}
    return {name: None if before[name] is None or after[name] is None else (after[name] - before[name]) / seconds
            for name in probes}


def taskprocessors(args):
    """Asterisk's task processors with what each processed and its deepest queue since Asterisk started."""
    rows = []
    for line in asterisk_cli(args, "core show taskprocessors").splitlines():
        fields = line.split()
        # Processor, Processed, In Queue, Max Depth, Low water, High water, Low time(us), High time(us)
        if len(fields) >= 8 and all(f.isdigit() for f in fields[-7:]):
            rows.append({"name": " ".join(fields[:-7]), "processed": int(fields[-7]), "max_depth": int(fields[-5])})
    return rows


def side(args):
    args.rates = [int(r) for r in args.rates.split()]
    postmaster = postmaster_pid(args.pg_port)
    warm_up(args)
    idle = idle_cpu(args, postmaster)
    results, bad = [], 0
    for rate in args.rates:
        result = run_rate(args, rate, postmaster)
        results.append(result)
        bad += result["failed_share"] > GIVE_UP_FAILED
        if bad >= GIVE_UP_RATES and rate != args.rates[-1]:
            log(f"{args.side}: {GIVE_UP_RATES} rates with more than {GIVE_UP_FAILED:.0%} failed, not climbing further")
            break
    processors = taskprocessors(args)
    # The Stasis messages Asterisk queued for the ARI application (what its WebSocket events are made from), per call
    # of the side's, warm-up included; zero for the native side, where no call enters Stasis.
    app = sum(t["processed"] for t in processors if t["name"].startswith("stasis/m:ari:application/"))
    calls = WARMUP_RATE * WARMUP_SECONDS + sum(r["created"] for r in results)
    os.makedirs(os.path.join(args.work, "results"), exist_ok=True)
    with open(os.path.join(args.work, "results", f"{args.side}.json"), "w") as f:
        json.dump({"idle_cpu_share": idle, "taskprocessors": sorted(processors, key=lambda t: -t["max_depth"])[:5],
                   "ari_app_messages_per_call": app / calls if calls else None, "rates": results}, f, indent=1)


# ---------------------------------------------------------------------------------------------------- the report

def fmt(value, digits=1):
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def ms(value):
    return "—" if value is None else f"{value:,.2f} ms"


def stored_once(r):
    """Every successful call has exactly one closed row, and no caller has two."""
    s = r["stored"]
    return s is not None and s["open"] == 0 and s["rows"] == s["distinct_callers"] and s["self_service"] == r["successful"]


def clock_step(results):
    steps = [r["answer_ms"].get("step") for rs in results.values() for r in rs]
    steps = [step for step in steps if step]
    return f"steps of {min(steps):g} ms" if steps else "steps unknown"


def sustained(results, needs_storage):
    held = [r["rate"] for r in results if r["failed_share"] < SUSTAINED_FAILED and (not needs_storage or stored_once(r))]
    return max(held) if held else None


def report(args):
    sides, results = {}, {}
    for name in ("native", "citycontact"):
        path = os.path.join(args.work, "results", f"{name}.json")
        sides[name] = json.load(open(path)) if os.path.exists(path) else {"rates": []}
        results[name] = sides[name]["rates"]
    prompt = prompt_seconds(args.prompt_file)
    lines = [f"## {args.section}", ""]
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")
    mode = " (quick check of the harness, `--quick`: not a measurement)" if args.quick == "true" else ""
    lines += [
        f"Run {now} UTC on {os.cpu_count()} cores, Asterisk 22.10.1, SIPp, PostgreSQL and the service on the same machine"
        + (", **Asterisk alone on CPU 0, SIPp, PostgreSQL and the service on CPU 1** (`taskset`, `--split`): Asterisk with a "
           "core of its own, as where CityContact and PostgreSQL run beside Asterisk rather than on its cores"
           if args.split == "true" else "")
        + f"{mode}. Written by `scripts/bench-asterisk.sh`.",
        "",
        f"SIPp calls in from the trunk at each rate for {args.seconds} s (rates {args.rates} calls/s); a call is INVITE → "
        f"200 OK → the prompt `{args.prompt}` ({prompt:.2f} s) → Asterisk's BYE. **native**: the dialplan answers, plays it "
        "and hangs up (`Answer(,i)`: at once, as ARI's answer does; `Playback`; `Hangup`), CityContact not running. "
        "**CityContact**: the call goes to Stasis and a published flow plays the same prompt and hangs up. A call "
        f"fails on any answer but 200, a 200 later than {args.answer_timeout:g} s or no BYE by the prompt's end + {args.bye_timeout:g} s. CPU per call: "
        "the process's CPU time (/proc) from the first INVITE until Asterisk is idle and every stored call is closed, "
        "over the successful calls; PostgreSQL counts every process of its cluster. *Peak live*: the most calls SIPp had "
        "open at once. *Stored once*: rows in `calls` "
        "for the rate's callers, closed as self-service, equal to the successful calls, no caller twice. Each side starts "
        f"with {WARMUP_RATE * WARMUP_SECONDS} unmeasured calls and stops climbing after {GIVE_UP_RATES} rates with more "
        f"than {GIVE_UP_FAILED:.0%} failed. The 200 OK delays are SIPp's, whose clock is coarse: {clock_step(results)}.",
        "",
        "| calls/s | side | calls | peak live | failed | 200 OK p50 / p99 / max | Asterisk CPU/call | service CPU/call "
        "| PostgreSQL CPU/call | stored once | SIPp CPU | load avg |",
        "|---:|---|---:|---:|---:|---|---:|---:|---:|---|---:|---:|",
    ]
    rates = sorted({r["rate"] for rs in results.values() for r in rs})
    for rate in rates:
        for name, title in (("native", "native"), ("citycontact", "CityContact")):
            r = next((x for x in results[name] if x["rate"] == rate), None)
            if r is None:
                lines.append(f"| {rate} | {title} | not run | | | | | | | | | |")
                continue
            a, cpu = r["answer_ms"], r["cpu_ms_per_call"]
            if r["stored"] is None:
                stored = "—"
            else:
                s = r["stored"]
                stored = ("yes" if stored_once(r) else "**no**") + f" ({s['rows']:,} rows" + (
                    f", {s['open']} open" if s["open"] else "") + (
                    f", {s['rows'] - s['distinct_callers']} duplicated" if s["rows"] != s["distinct_callers"] else "") + ")"
            failed = f"{100 * r['failed_share']:.1f}%"
            if r["failures"]:
                failed += " (" + ", ".join(f"{k[6:-3]} {v}" for k, v in sorted(r["failures"].items())) + ")"
            lines.append(
                f"| {rate} | {title} | {r['created']:,} | {r.get('peak_calls', 0):,} | {failed} | {fmt(a['p50'])} / {fmt(a['p99'])} / {fmt(a['max'])} ms "
                f"| {ms(cpu['asterisk'])} | {ms(cpu['service'])} | {ms(cpu['postgresql']) if r['stored'] is not None else '—'} "
                f"| {stored} "
                f"| {100 * (r['sipp_cpu_share'] or 0):.0f}% | {r['load_average_before']:.2f} |")
    lines.append("")
    native, ours = sustained(results["native"], False), sustained(results["citycontact"], True)
    top = {name: max((r["rate"] for r in results[name]), default=None) for name in results}
    rule = f"under {SUSTAINED_FAILED:.0%} failed; for CityContact also every call stored once"
    if native and ours:
        caveat = ""
        if native == top["native"] and ours == top["citycontact"]:
            caveat = " Both held every rate tried: add higher rates (BENCH_RATES) to find their limits."
        elif native == top["native"]:
            caveat = " Native held every rate tried, so its limit is higher and the ratio an upper bound."
        verdict = "met" if ours / native >= 0.9 else "not met"
        lines.append(f"Highest sustained rate ({rule}): native {native} calls/s, CityContact {ours} calls/s: "
                     f"**{ours / native:.2f}×** native (target ≥ 0.9×: {verdict}).{caveat}")
    else:
        lines.append(f"Highest sustained rate ({rule}): native {native or 'none'}, CityContact {ours or 'none'}: no ratio.")
    idle = []
    for name, title in (("native", "native"), ("citycontact", "CityContact")):
        share = sides[name].get("idle_cpu_share")
        if share:
            idle.append(f"{title}: " + ", ".join(f"{process} {100 * value:.1f}%" for process, value in share.items()
                                                   if value is not None))
    if idle:
        lines += ["", f"CPU with no calls ({IDLE_SECONDS} s, {IDLE_SETTLE_SECONDS} s after the warm-up, % of one core; it is inside every "
                  f"rate's CPU per call): " + "; ".join(idle) + "."]
    deepest = []
    for name, title in (("native", "native"), ("citycontact", "CityContact")):
        processors = sides[name].get("taskprocessors") or []
        if processors:
            deepest.append(f"after {title}: " + ", ".join(f"`{t['name']}` {t['max_depth']:,}" for t in processors))
    if deepest:
        lines += ["", "Asterisk's deepest task-processor queues since it started (`core show taskprocessors`, max depth): "
                  + "; ".join(deepest) + "."]
    per_call = sides["citycontact"].get("ari_app_messages_per_call")
    if per_call:
        lines += ["", f"Stasis messages Asterisk queued for the ARI application: {per_call:.1f} per CityContact call "
                  "(its `stasis/m:ari:application/…` task processor; the WebSocket events are made from them)."]
    notes = []
    for name, title in (("native", "native"), ("citycontact", "CityContact")):
        for r in results[name]:
            if (r["sipp_cpu_share"] or 0) > SIPP_BUSY:
                notes.append(f"- {title} {r['rate']}/s: SIPp used {100 * r['sipp_cpu_share']:.0f}% of a core: it may "
                             "have been a bottleneck")
            if name == "citycontact":
                notes.append(f"- {title} {r['rate']}/s: at most {r['most_ari_connections']} TCP connections to ARI "
                             "(REST and WebSocket; Asterisk's http.conf sessionlimit defaults to 100)")
            if r["retransmissions"]:
                notes.append(f"- {title} {r['rate']}/s: {r['retransmissions']:,} SIP retransmissions")
            if r["out_of_call_messages"]:
                notes.append(f"- {title} {r['rate']}/s: {r['out_of_call_messages']:,} SIP messages SIPp could not "
                             "match to a call")
            for message, count in r["asterisk_log"].items():
                notes.append(f"- {title} {r['rate']}/s: {count} × `{message}`")
    lines += ["", "During the rates: SIPp's retransmissions and load, Asterisk's messages.log warnings and errors "
              "(numbers and ids blanked):", ""]
    lines += notes or ["- none"]
    lines.append("")
    section = "\n".join(lines) + "\n"
    print(section)
    if args.out:
        write_section(args.out, section, args.section)


def skipped(args):
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")
    write_section(args.out, f"## {args.section}\n\n(skipped {now} UTC: {args.reason})\n\n", args.section)


def write_section(path, section, title):
    """Replaces the section in place (up to the next "## " heading), or appends it; the rest of the file is untouched."""
    text = open(path).read() if os.path.exists(path) else "# CityContact benchmark results\n"
    section = section.rstrip("\n") + "\n"
    heading = f"\n## {title}\n"
    start = text.find(heading)
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + len(heading))
        text = text[:start + 1] + section + ("" if end < 0 else text[end:])
    with open(path, "w") as f:
        f.write(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    s = commands.add_parser("side")
    s.add_argument("--side", choices=["native", "citycontact"], required=True)
    s.add_argument("--number", required=True)
    s.add_argument("--service-pid", type=int)
    for p in (s,):
        p.add_argument("--asterisk", required=True)
        p.add_argument("--asterisk-conf", required=True)
        p.add_argument("--sip", required=True)
        p.add_argument("--trunk-ip", required=True)
        p.add_argument("--pg-port", type=int, required=True)
        p.add_argument("--ari-port", type=int, required=True)
    r = commands.add_parser("report")
    r.add_argument("--out")
    r.add_argument("--split", default="false")
    r.add_argument("--quick", default="false")
    r.add_argument("--prompt", required=True)
    r.add_argument("--section", default=SECTION)
    for p in (s, r):
        p.add_argument("--work", required=True)
        p.add_argument("--rates", required=True)
        p.add_argument("--seconds", type=int, required=True)
        p.add_argument("--prompt-file", required=True)
        p.add_argument("--answer-timeout", type=float, default=10)
        p.add_argument("--bye-timeout", type=float, default=10)
    k = commands.add_parser("skipped")
    k.add_argument("--section", default=SECTION)
    k.add_argument("--reason", required=True)
    k.add_argument("--out", required=True)
    args = parser.parse_args()
    {"side": side, "report": report, "skipped": skipped}[args.command](args)


if __name__ == "__main__":
    main()
