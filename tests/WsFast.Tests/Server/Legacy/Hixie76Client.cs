using System.Text;
using WsFast.Tests.Broadcast;
using WsFast.Tests.Protocol.Hixie76;

namespace WsFast.Tests.Server.Legacy;

/// <summary>A raw-socket draft-76 client: the handshake of the draft's own example, then <c>0x00 … 0xFF</c> frames.</summary>
internal sealed class Hixie76Client : IDisposable
{
    private Hixie76Client(RawConnection connection, RawResponse response, byte[] answer)
    {
        Connection = connection;
        Response = response;
        Answer = answer;
    }

    public RawConnection Connection { get; }

    /// <summary>The response head (101, or a refusal).</summary>
    public RawResponse Response { get; }

    /// <summary>The 16 bytes after a 101's head; empty for a refusal.</summary>
    public byte[] Answer { get; }

    /// <summary>The draft example's request (section 1.3) for <paramref name="path"/>, with its keys unless others are given.</summary>
    public static string Request(int port, string path, string key1 = Hixie76HandshakeTests.DraftKey1, string key2 = Hixie76HandshakeTests.DraftKey2,
        string origin = "http://example.com", string extraHeaders = "") =>
        $"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: Upgrade\r\nSec-WebSocket-Key2: {key2}\r\n" +
        $"Upgrade: WebSocket\r\nSec-WebSocket-Key1: {key1}\r\n{(origin.Length == 0 ? "" : $"Origin: {origin}\r\n")}{extraHeaders}\r\n";

    /// <summary>Connects, sends <paramref name="request"/> and the draft's key3, and reads the response.</summary>
    public static async Task<Hixie76Client> OpenAsync(int port, string request, int? receiveBufferSize = null)
    {
        RawConnection connection = await RawConnection.ConnectAsync(port, receiveBufferSize);
        await connection.SendAsync(Encoding.Latin1.GetBytes(request + Hixie76HandshakeTests.DraftKey3));
        RawResponse head = await connection.ReadResponseAsync(bodyless: true);
        if (head.Status != 101)
        {
            return new Hixie76Client(connection, head, []);
        }

        using var cancel = new CancellationTokenSource(BroadcastKit.Timeout);
        byte[] answer = await connection.ReadExactlyAsync(16, cancel.Token);
        return new Hixie76Client(connection, head, answer);
    }

    /// <summary>A client past a successful handshake on <paramref name="path"/>.</summary>
    public static async Task<Hixie76Client> ConnectAsync(int port, string path, int? receiveBufferSize = null)
    {
        Hixie76Client client = await OpenAsync(port, Request(port, path), receiveBufferSize);
        Assert.Equal(101, client.Response.Status);
        Assert.Equal(Hixie76HandshakeTests.DraftAnswer, Encoding.Latin1.GetString(client.Answer));
        return client;
    }

    public static byte[] TextFrame(string text) => [0x00, .. Encoding.UTF8.GetBytes(text), 0xFF];

    public Task SendTextAsync(string text) => Connection.SendAsync(TextFrame(text));

    public Task SendAsync(byte[] bytes) => Connection.SendAsync(bytes);

    /// <summary>Reads one frame the server sent: the text of a <c>0x00 … 0xFF</c> frame, or "close" for <c>0xFF 0x00</c>.</summary>
    public async Task<string> ReadAsync(TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? BroadcastKit.Timeout);
        byte[] type = await Connection.ReadExactlyAsync(1, cancel.Token);
        if (type[0] == 0xFF)
        {
            Assert.Equal(0x00, (await Connection.ReadExactlyAsync(1, cancel.Token))[0]);
            return "close";
        }

        Assert.Equal(0x00, type[0]);
        byte[] frame = await Connection.ReadUntilAsync(new byte[] { 0xFF }, timeout);
        return Encoding.UTF8.GetString(frame, 0, frame.Length - 1);
    }

    public void Dispose() => Connection.Dispose();
}
