using CityContact.Service.Features.Calls;
using CityContact.Service.Features.Prompts;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CityContact.Service.Features.Ivr;

public static class IvrSetup
{
    /// <summary>The Stasis app's inbound side: flows, prompts, the write-behind call recorder and the queue placeholder (voicemail, ticket-status and survey come from AddVoicemail).</summary>
    public static void AddIvr(this WebApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<IValidateOptions<IvrOptions>, IvrOptionsValidator>();
        builder.Services.AddOptions<IvrOptions>().BindConfiguration(IvrOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<PromptOptions>, PromptOptionsValidator>();
        builder.Services.AddOptions<PromptOptions>().BindConfiguration(PromptOptions.Section).ValidateOnStart();
        builder.Services.AddOptions<CallRecorderOptions>().BindConfiguration(CallRecorderOptions.Section);
        builder.Services.AddSingleton<PromptCatalog>();
        builder.Services.AddSingleton<CallRecorder>();
        builder.Services.AddHostedService(services => services.GetRequiredService<CallRecorder>());
        builder.Services.AddHostedService<DefaultFlowSeeder>();
        builder.Services.AddSingleton<FlowCatalog>();
        builder.Services.AddHostedService(services => services.GetRequiredService<FlowCatalog>());
        builder.Services.AddSingleton<IvrApp>();
    }
}
