using System.Globalization;
using CityContact.Telephony.Ami;

namespace CityContact.Simulator.Ami;

/// <summary>Builds one outgoing AMI frame, keys in the order Asterisk writes them.</summary>
internal sealed class AmiFrame
{
    private readonly List<KeyValuePair<string, string>> _fields = [];

    public static AmiFrame Event(string name, string privilege) => new AmiFrame().Add("Event", name).Add("Privilege", privilege);

    public static AmiFrame ListEvent(string name, string actionId) => new AmiFrame().Add("Event", name).Add("ActionID", actionId);

    public static AmiFrame Response(string status, string? actionId) => new AmiFrame().Add("Response", status).AddActionId(actionId);

    public AmiFrame Add(string key, string value)
    {
        _fields.Add(KeyValuePair.Create(key, value));
        return this;
    }

    public AmiFrame Add(string key, long value) => Add(key, value.ToString(CultureInfo.InvariantCulture));

    /// <summary>Asterisk omits ActionID when the action had none.</summary>
    public AmiFrame AddActionId(string? actionId) => string.IsNullOrEmpty(actionId) ? this : Add("ActionID", actionId);

    /// <summary>The channel block shared by Newchannel, Newstate, VarSet, Hangup…; <paramref name="prefix"/> is "Dest" for the dialled side.</summary>
    public AmiFrame AddChannel(Changes.ChannelInfo channel, string prefix = "")
    {
        var stateKey = prefix.Length == 0 ? "ChannelState" : prefix + "ChannelState";
        return Add(prefix.Length == 0 ? "Channel" : prefix + "Channel", channel.Name)
            .Add(stateKey, channel.StateCode)
            .Add(stateKey + "Desc", channel.State)
            .Add(prefix + "CallerIDNum", Unknown(channel.CallerNumber))
            .Add(prefix + "CallerIDName", Unknown(channel.CallerName))
            .Add(prefix + "ConnectedLineNum", Unknown(channel.ConnectedNumber))
            .Add(prefix + "ConnectedLineName", Unknown(channel.ConnectedName))
            .Add(prefix + "Language", channel.Language)
            .Add(prefix + "AccountCode", channel.AccountCode)
            .Add(prefix + "Context", channel.Context)
            .Add(prefix + "Exten", channel.Exten)
            .Add(prefix + "Priority", channel.Priority)
            .Add(prefix + "Uniqueid", channel.UniqueId)
            .Add(prefix + "Linkedid", channel.LinkedId);
    }

    public AmiMessage Build() => new(_fields);

    /// <summary>Asterisk writes an empty caller id as <c>&lt;unknown&gt;</c> in channel blocks.</summary>
    private static string Unknown(string value) => string.IsNullOrEmpty(value) ? "<unknown>" : value;
}
