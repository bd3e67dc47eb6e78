using System.CommandLine;
using WsFast.ServerApp;

// Socket completions run inline on the I/O threads rather than hopping to the thread pool: the handlers here
// never block, and it cuts the server's CPU per echo by a third (load/RESULTS.md). The runtime reads the
// variable once, when the first socket is made, so it is set before anything else; an explicit setting wins.
if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") is null)
{
    Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
}

var root = new RootCommand(
    "WsFast: a fast RFC 6455 WebSocket server. Serves /echo, /broadcast, /ticker, a demo page at / and /healthz. "
    + "Settings also come from appsettings.json beside the executable, WsFast__Key / Server__Key environment variables "
    + "and --Section:Key=value arguments (see the README's Configuration section); a flag wins over all of them.")
{
    // Unmatched tokens are configuration keys (--WsFast:Urls:0=http://0.0.0.0:8080); ServerHost checks them.
    TreatUnmatchedTokensAsErrors = false,
};
foreach (Option option in ServerSettings.All)
{
    root.Options.Add(option);
}

root.SetAction((parse, _) => ServerHost.RunAsync(parse));
return await root.Parse(args).InvokeAsync();
