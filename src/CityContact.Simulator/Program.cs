using CityContact.Simulator;

// Standalone process: serves ARI on the configured port until stopped (process options come with the traffic generator).
await using var simulator = await AsteriskSimulator.StartAsync(new SimulatorOptions { AriPort = 8088 }).ConfigureAwait(false);
Console.WriteLine($"ARI on {simulator.AriBaseUrl}ari/");
var stopped = new TaskCompletionSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stopped.TrySetResult();
};
await stopped.Task.ConfigureAwait(false);
