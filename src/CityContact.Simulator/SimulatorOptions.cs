namespace CityContact.Simulator;

/// <summary>How the simulated Asterisk is set up. Defaults match the lab that recorded the transcripts.</summary>
public sealed class SimulatorOptions
{
    /// <summary>Address Kestrel binds for ARI; loopback like the shipped http.conf.</summary>
    public string ListenAddress { get; init; } = "127.0.0.1";

    /// <summary>ARI HTTP/WebSocket port; 0 picks a free one (read it back from <see cref="AsteriskSimulator.AriBaseUrl"/>).</summary>
    public int AriPort { get; init; }

    public string AriUser { get; init; } = "cc";
    public string AriPassword { get; init; } = "cc";

    /// <summary>AMI TCP port; 0 picks a free one (read it back from <see cref="AsteriskSimulator.AmiPort"/>).</summary>
    public int AmiPort { get; init; }
    public string AmiUser { get; init; } = "cc";
    public string AmiSecret { get; init; } = "cc";

    /// <summary>
    /// The AMI user's manager.conf <c>eventfilter</c>: a regular expression an event's text must match to be sent; null
    /// sends every event (the transcripts' first lab). The shipped manager.conf: <c>Event: (DeviceStateChange|FullyBooted|Shutdown)</c>.
    /// </summary>
    public string? AmiEventFilter { get; init; }

    /// <summary>Asterisk answers a bad AMI login after about a second, then hangs up; tests shorten it.</summary>
    public TimeSpan AmiFailedLoginDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Every timer of the simulator (media lengths, ring timeouts, recording limits, answer delays) runs on this clock.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Reported as <c>asterisk_id</c> in every event.</summary>
    public string AsteriskId { get; init; } = "02:fc:00:00:00:01";

    /// <summary>
    /// Where <c>sound:</c> media are looked up (<c>{dir}/{lang}/{name}.wav|.gsm|.ulaw</c>, then <c>{dir}/{name}.*</c>).
    /// When set, a missing file fails the playback as Asterisk does; when null every sound "exists" and lasts <see cref="DefaultMediaLength"/>.
    /// </summary>
    public string? SoundsDirectory { get; init; }

    /// <summary>Length of a playback whose file is not read (no sounds directory, or a format whose length is not computed).</summary>
    public TimeSpan DefaultMediaLength { get; init; } = TimeSpan.FromSeconds(1.4);

    /// <summary>How many of the newest ARI requests <see cref="AsteriskSimulator.Requests"/> keeps (older ones are forgotten).</summary>
    public int MaxRecordedRequests { get; init; } = 100_000;

    /// <summary>Stored recordings are written here as real WAV files; null uses a fresh directory under the system temp path.</summary>
    public string? RecordingsDirectory { get; init; }

    /// <summary>Dialplan context of trunk calls, as in the channel's <c>dialplan.context</c>.</summary>
    public string TrunkContext { get; init; } = "from-trunk";

    /// <summary>
    /// <c>app_data</c> of the trunk's Stasis() step; <c>${EXTEN}</c> is replaced with the dialed number.
    /// The first comma-separated item is the application, the rest become StasisStart <c>args</c>.
    /// The shipped extensions.conf uses <c>citycontact,inbound,${EXTEN}</c>; the transcripts' lab used <c>citycontact,${EXTEN}</c>.
    /// </summary>
    public string TrunkStasisAppData { get; init; } = "citycontact,inbound,${EXTEN}";

    /// <summary>
    /// Data of the trunk dialplan's first step, <c>NoOp</c> (AMI Newexten priority 1); <c>${EXTEN}</c> and
    /// <c>${CALLERID(all)}</c> are expanded; null when the dialplan starts with Stasis() at priority 1, as the
    /// extensions.conf the newer transcripts were recorded with (ari-endpoint-subscription-duplicates.json).
    /// </summary>
    public string? TrunkNoOpData { get; init; } = "trunk call ${EXTEN} from ${CALLERID(all)}";

    /// <summary>
    /// Whether the trunk's contact answers Asterisk's OPTIONS (qualify): its endpoint state is then "online", else
    /// "offline". The newer transcripts' lab had no provider behind the trunk, so it was offline there.
    /// </summary>
    public bool TrunkReachable { get; init; } = true;

    /// <summary>The SIPDOMAIN variable PJSIP sets on an incoming trunk channel (the address the INVITE was sent to).</summary>
    public string TrunkSipDomain { get; init; } = "127.0.0.1";

    /// <summary>Dialed numbers that the trunk's dialplan sends to a native (non-Stasis) application instead, e.g. "600" → Answer in context "native-demo".</summary>
    public IReadOnlyDictionary<string, string> NativeExtensions { get; init; } = new Dictionary<string, string>();

    /// <summary>Context reported for originated/created channels (the agents' context in the shipped dialplan).</summary>
    public string OriginateContext { get; init; } = "agents";

    /// <summary>PJSIP endpoints that stand for agents' deskphones (they can register, ring and answer).</summary>
    public IReadOnlyList<string> PhoneEndpoints { get; init; } = ["agent1", "agent2"];

    /// <summary>Caller ID names of the deskphones (a created channel's caller is the phone's own id).</summary>
    public IReadOnlyDictionary<string, string> PhoneCallerNames { get; init; } = new Dictionary<string, string>
    {
        ["agent1"] = "Agent One",
        ["agent2"] = "Agent Two",
    };

    /// <summary>PJSIP endpoint name of the SIP trunk (channel names PJSIP/{trunk}-0000000N).</summary>
    public string TrunkEndpoint { get; init; } = "trunk";

    /// <summary>Delay between a trunk INVITE and StasisStart (Asterisk: 3–12 ms).</summary>
    public TimeSpan StasisEntryDelay { get; init; } = TimeSpan.Zero;
}
