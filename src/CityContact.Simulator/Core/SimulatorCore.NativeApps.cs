using Changes = CityContact.Simulator.Changes;

namespace CityContact.Simulator.Core;

internal sealed partial class SimulatorCore
{
    /// <summary>The native dialplan applications an AMI Originate may run on the answered channel.</summary>
    public static bool IsSimulatedApplication(string application) => string.Equals(application, "Playback", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// AMI Originate with Application (manager.c fast_originate → ast_pbx_outgoing_app): the phone's channel is allocated
    /// on its dial "application" AppDial2, gets the variables and the CallerID (NewCallerid, NewConnectedLine), rings like
    /// POST /channels, and once answered runs the application; an unregistered or unknown endpoint fails at once (Reason 0).
    /// </summary>
    public void OriginateApplication(string endpointName, string application, string data, string? callerId, TimeSpan timeout,
        IReadOnlyList<KeyValuePair<string, string>> variables, string correlationId) => Mutate(() =>
    {
        if (FindEndpoint(endpointName) is not { IsPhone: true, IsRegistered: true } endpoint)
        {
            Publish(new Changes.OriginateCompleted(Now, correlationId, null, false, 0));
            return;
        }
        var channel = NewChannel(ChannelOrigin.Originated, endpoint, null, c =>
        {
            c.CallerName = PhoneCallerName(endpoint);
            c.CallerNumber = endpoint.Resource;
            c.Context = Options.OriginateContext;
            c.Exten = "s";
            c.AppName = "AppDial2";
            c.AppData = "(Outgoing Line)";
        });
        Publish(new Changes.ChannelDialplanStep(Now, ToInfo(channel)));
        foreach (var (name, value) in variables)
        {
            SetVariable(channel, name, value, sendToApp: false);
        }
        var (callerName, callerNumber) = ParseCallerId(callerId);
        if (callerName.Length > 0 || callerNumber.Length > 0)
        {
            (channel.CallerName, channel.CallerNumber) = (callerName, callerNumber);
            Publish(new Changes.CallerIdChanged(Now, ToInfo(channel)));
            (channel.ConnectedName, channel.ConnectedNumber) = (callerName, callerNumber);
            Publish(new Changes.ConnectedLineChanged(Now, ToInfo(channel)));
        }
        channel.NativeApplication = (application, data);
        channel.OriginateCorrelationId = correlationId;
        StartRinging(channel, endpoint, endpoint.Resource, timeout, secondDialString: endpoint.Resource);
    });

    /// <summary>
    /// Playback of the files in <paramref name="data"/> (file1&amp;file2[,options]) for their length, PLAYBACKSTATUS, then
    /// the application returns and Asterisk hangs the channel up: RTP varsets and Hangup cause 0, no hangup request.
    /// </summary>
    private void RunNativeApplication(SimChannel channel, string application, string data)
    {
        channel.AppName = application;
        channel.AppData = data;
        var lengths = data.Split(',')[0].Split('&').Select(file => MediaLength("sound:" + file, channel.Language)).ToList();
        var found = lengths.All(length => length >= TimeSpan.Zero);
        var total = found ? lengths.Aggregate(TimeSpan.Zero, (sum, length) => sum + length) : TimeSpan.Zero;
        Schedule(total, () =>
        {
            if (channel.IsHungUp || channel.HangupRequested)
            {
                return;
            }
            SetVariable(channel, "PLAYBACKSTATUS", found ? "SUCCESS" : "FAILED", sendToApp: false);
            channel.HangupRequested = true;
            foreach (var (name, value) in RtpQosVariables)
            {
                SetVariable(channel, name, value, sendToApp: false);
            }
            DestroyChannel(channel, 0, CauseText(0), sendToApp: false);
        });
    }
}
