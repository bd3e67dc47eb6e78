using System.Text;
using WsFast.Protocol;
using WsFast.Tests.Server;
using WsFast.Tests.Support;

namespace WsFast.Tests.Deflate;

/// <summary>The executable negotiates permessage-deflate on every endpoint unless told not to, everywhere or per path.</summary>
public class ExecutableDeflateTests
{
    private static readonly byte[] Json = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"symbol\":\"ACME\",\"price\":101.25},", 20)));

    [Fact]
    public async Task By_default_every_endpoint_agrees_and_a_compressible_echo_comes_back_compressed()
    {
        await using ServerProcess server = await ServerProcess.StartAsync();
        Assert.StartsWith("permessage-deflate", await AgreedAsync(server.Port, "/broadcast"));
        (RawClient echo, string? extensions) = await DeflateClient.OpenAsync(server.Port, "/echo");
        await using (echo)
        {
            Assert.StartsWith("permessage-deflate", extensions);
            await echo.SendFramesAsync(ClientFrames.Frame(Opcode.Text, Json));
            ServerFrame frame = await echo.ReadFrameAsync();
            Assert.Equal(4, frame.Rsv);
            Assert.Equal(Json, DeflateClient.Inflate(WsFast.Protocol.Deflate.MessageInflater.Create(12)!, frame.Payload));
        }
    }

    [Fact]
    public async Task With_no_deflate_no_endpoint_agrees()
    {
        await using ServerProcess server = await ServerProcess.StartAsync(["--no-deflate"]);
        Assert.Null(await AgreedAsync(server.Port, "/echo"));
        Assert.Null(await AgreedAsync(server.Port, "/broadcast"));
    }

    [Fact]
    public async Task With_no_deflate_on_a_path_only_that_endpoint_declines()
    {
        await using ServerProcess server = await ServerProcess.StartAsync(["--no-deflate-on", "/echo"]);
        Assert.Null(await AgreedAsync(server.Port, "/echo"));
        Assert.StartsWith("permessage-deflate", await AgreedAsync(server.Port, "/broadcast"));
    }

    [Fact]
    public async Task No_deflate_on_a_path_without_an_endpoint_is_refused_at_start()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => ServerProcess.StartAsync(["--no-deflate-on", "/nowhere"]));
        Assert.Contains("before it listened", error.Message);
    }

    private static async Task<string?> AgreedAsync(int port, string path)
    {
        (RawClient client, string? extensions) = await DeflateClient.OpenAsync(port, path);
        await client.DisposeAsync();
        return extensions;
    }
}
