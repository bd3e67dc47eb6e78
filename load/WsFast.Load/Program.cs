using System.CommandLine;
using WsFast.Load.Cli;

// Run socket continuations on the epoll thread instead of queueing them to the thread pool: the tool's
// continuations are short and never block, and the hop costs about as much CPU as the server's work per
// echo, which would make the tool, not the server, the limit. .NET reads the variable when the first socket
// is created, so setting it here takes effect; a value given in the environment wins.
const string InlineCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";
if (Environment.GetEnvironmentVariable(InlineCompletions) is null)
{
    Environment.SetEnvironmentVariable(InlineCompletions, "1");
}

var root = new RootCommand(
    "WsFast load tool: runs a scenario (ws-echo, ws-idle, and the feeds ws-broadcast, sse, poll-long, poll-short) under a load simulation (N clients kept constant for D seconds after a ramp-up), " +
    "or a soak with churn (soak: its own report, timeline and chart, and a verdict as its exit code), " +
    "and reports rate, latency percentiles, errors, the server's CPU time, allocations and memory, and the tool's own CPU. " +
    "Markdown goes to stdout and, with a CSV, to load/results/<timestamp>/; progress goes to stderr.");
root.Subcommands.Add(EchoCommand.Create());
root.Subcommands.Add(IdleCommand.Create());
foreach (FeedCommand.Kind kind in Enum.GetValues<FeedCommand.Kind>())
{
    root.Subcommands.Add(FeedCommand.Create(kind));
}

root.Subcommands.Add(ReportCommand.Create());
root.Subcommands.Add(AttackCommand.Create());
root.Subcommands.Add(SoakCommand.Create());
return await root.Parse(args).InvokeAsync();
