using System.CommandLine;
using WsFast.Load.Client;
using WsFast.Load.Scenarios;

namespace WsFast.Load.Cli;

/// <summary>The <c>ws-idle</c> command.</summary>
internal static class IdleCommand
{
    public static Command Create()
    {
        var common = new CommonOptions(clients: 10_000, duration: 5, rampUp: 5, settle: 5);
        var command = new Command("ws-idle", "N connections are opened and held idle; reports the server's resident memory per connection (VmRSS growth from before the first connect to after all are connected and settled, divided by N).");
        common.AddTo(command);
        command.SetAction(async (parse, _) =>
        {
            WsClientOptions client;
            try
            {
                // Idle connections receive next to nothing: a small buffer keeps 10,000 of them cheap for the tool.
                client = ScenarioCommand.ClientOptions(parse, common, 512);
            }
            catch (FormatException e)
            {
                Console.Error.WriteLine($"wsfast-load: {e.Message}");
                return 2;
            }

            return await ScenarioCommand.RunAsync(parse, common, client, new IdleScenario(client), "idle");
        });
        return command;
    }
}
