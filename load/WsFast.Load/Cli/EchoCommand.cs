using System.CommandLine;
using WsFast.Load.Client;
using WsFast.Load.Scenarios;

namespace WsFast.Load.Cli;

/// <summary>The <c>ws-echo</c> command.</summary>
internal static class EchoCommand
{
    public static Command Create()
    {
        var common = new CommonOptions(clients: 100, duration: 10, rampUp: 1, settle: 2);
        var size = new Option<int>("--size", "-s") { Description = "Payload bytes per message.", DefaultValueFactory = _ => 32 };
        var inFlight = new Option<int>("--in-flight", "-w") { Description = "Messages each client keeps in flight (sent, echo not yet received).", DefaultValueFactory = _ => 1 };
        var binary = new Option<bool>("--binary") { Description = "Send binary messages instead of text." };
        var rate = new Option<double?>("--rate", "-r") { Description = "Messages/s sent by all clients together, spread evenly over them (a message held back by a full window counts its latency from its scheduled time). Default: every client as fast as its window allows." };

        var command = new Command("ws-echo", "N clients send messages to an echo endpoint, W in flight each, and measure the round trip (send → echo received).");
        common.AddTo(command);
        command.Options.Add(size);
        command.Options.Add(inFlight);
        command.Options.Add(binary);
        command.Options.Add(rate);
        command.SetAction(async (parse, _) =>
        {
            int messageSize = parse.GetValue(size);
            int window = parse.GetValue(inFlight);
            double? messagesPerSecond = parse.GetValue(rate);
            if (messageSize < 0 || window < 1 || messagesPerSecond <= 0)
            {
                Console.Error.WriteLine("wsfast-load: --size must be at least 0, --in-flight at least 1 and --rate above 0.");
                return 2;
            }

            WsClientOptions client;
            try
            {
                // Room for several echoes per read when many are in flight.
                client = ScenarioCommand.ClientOptions(parse, common, Math.Clamp(window * ClientFramesSize(messageSize), 4096, 256 * 1024));
            }
            catch (FormatException e)
            {
                Console.Error.WriteLine($"wsfast-load: {e.Message}");
                return 2;
            }

            bool isBinary = parse.GetValue(binary);
            var scenario = new EchoScenario(new EchoSettings { Client = client, MessageSize = messageSize, InFlight = window, Binary = isBinary });
            string settings = $"{messageSize} B {(isBinary ? "binary" : "text")}, {window} in flight" +
                (messagesPerSecond is double r ? $", {r:0.##} messages/s" : "");
            return await ScenarioCommand.RunAsync(parse, common, client, scenario, settings, injectRate: messagesPerSecond);
        });
        return command;
    }

    private static int ClientFramesSize(int payload) => payload + 14;
}
