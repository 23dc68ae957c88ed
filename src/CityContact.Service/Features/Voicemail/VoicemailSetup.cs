using CityContact.Service.Features.Ivr;
using CityContact.Service.Features.Notifications;
using CityContact.Service.Features.Surveys;

namespace CityContact.Service.Features.Voicemail;

public static class VoicemailSetup
{
    /// <summary>
    /// The voicemail node (replacing the IVR's placeholder, so this runs before AddIvr), the ticket-status and survey
    /// nodes, the outbound survey call on resolution (a ticket notifier), and the import of the messages Asterisk's
    /// fallback mailbox took while the service was down. The callback scheduler is the queue feature's: voicemail only calls it when it is registered.
    /// </summary>
    public static void AddVoicemail(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IValidateOptions<VoicemailOptions>, VoicemailOptionsValidator>();
        builder.Services.AddOptions<VoicemailOptions>().BindConfiguration(VoicemailOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<VoicemailStore>();
        builder.Services.AddSingleton<FallbackVoicemailStore>();
        builder.Services.AddSingleton<FallbackVoicemailImporter>();
        builder.Services.AddHostedService(services => services.GetRequiredService<FallbackVoicemailImporter>());
        builder.Services.AddKeyedSingleton<ICallHandover, VoicemailRecorder>(Ivr.Flows.NodeKinds.Voicemail);
        builder.Services.AddKeyedSingleton<ICallHandover, TicketStatusNode>(Ivr.Flows.NodeKinds.TicketStatus);
        builder.Services.AddKeyedSingleton<ICallHandover, SurveyNode>(Ivr.Flows.NodeKinds.Survey);
        builder.Services.AddSingleton<IValidateOptions<SurveyOptions>, SurveyOptionsValidator>();
        builder.Services.AddOptions<SurveyOptions>().BindConfiguration(SurveyOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<ITicketNotifier, SurveyCallNotifier>();
        builder.Services.AddSingleton<SurveyCallScheduler>();
        builder.Services.AddTransient<SurveyCallJob>();
    }
}
