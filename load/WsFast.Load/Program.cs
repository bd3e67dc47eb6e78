using System.CommandLine;
using WsFast.Load.Cli;

var root = new RootCommand(
    "WsFast load tool: runs a scenario (ws-echo, ws-idle) under a load simulation (N clients kept constant for D seconds after a ramp-up), " +
    "and reports rate, latency percentiles, errors, the server's CPU time, allocations and memory, and the tool's own CPU. " +
    "Markdown goes to stdout and, with a CSV, to load/results/<timestamp>/; progress goes to stderr.");
root.Subcommands.Add(EchoCommand.Create());
root.Subcommands.Add(IdleCommand.Create());
return await root.Parse(args).InvokeAsync();
