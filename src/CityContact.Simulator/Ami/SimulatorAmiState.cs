using CityContact.Simulator.Changes;

namespace CityContact.Simulator.Ami;

/// <summary>
/// The AMI server's view of an <see cref="AsteriskSimulator"/>: channels from its snapshots, PJSIP endpoints from its
/// options, and contacts remembered from the ContactStatus changes it publishes (the core keeps no registration time).
/// </summary>
internal sealed class SimulatorAmiState : IAmiStateSource
{
    private const string TrunkContactUri = "sip:127.0.0.1:5070";

    private readonly AsteriskSimulator _simulator;
    private readonly Dictionary<string, (string Uri, DateTimeOffset Since)> _contacts = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public SimulatorAmiState(AsteriskSimulator simulator)
    {
        _simulator = simulator;
    }

    public IReadOnlyList<ChannelInfo> Channels => _simulator.Channels;

    public IReadOnlyList<AmiEndpointView> Endpoints
    {
        get
        {
            var options = _simulator.Options;
            var channels = _simulator.Channels;
            int Active(string endpoint) => channels.Count(c => c.Endpoint == endpoint);
            var views = new List<AmiEndpointView>();
            lock (_gate)
            {
                foreach (var phone in options.PhoneEndpoints)
                {
                    var contact = _contacts.TryGetValue(phone, out var c) ? c : default;
                    views.Add(new AmiEndpointView(phone, IsTrunk: false, contact.Uri, Active(phone), $"\"{phone}\" <{phone}>",
                        options.OriginateContext, contact.Uri is null ? null : contact.Since));
                }
            }
            views.Add(new AmiEndpointView(options.TrunkEndpoint, IsTrunk: true, TrunkContactUri, Active(options.TrunkEndpoint), "",
                options.TrunkContext, null));
            return views.OrderBy(v => v.Name, StringComparer.Ordinal).ToList();
        }
    }

    public void OriginateApplication(string endpoint, string application, string data, string? callerId, TimeSpan timeout,
        IReadOnlyList<KeyValuePair<string, string>> variables, string correlationId)
        => _simulator.OriginateApplication(endpoint, application, data, callerId, timeout, variables, correlationId);

    public IDisposable Subscribe(Action<StateChange> observer) => _simulator.SubscribeStateChanges(change =>
    {
        if (change is ContactStatusChanged contact)
        {
            lock (_gate)
            {
                if (contact.Status is "Removed" or "Unreachable")
                {
                    _contacts.Remove(contact.Endpoint);
                }
                else
                {
                    _contacts[contact.Endpoint] = (contact.Uri, contact.Timestamp);
                }
            }
        }
        observer(change);
    });
}
