using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace WsFast.Tests.Support;

/// <summary>
/// One Redis command over a raw socket, in RESP2 (the Redis serialization protocol): enough for a test to see what
/// a broker left in Redis (DBSIZE, EXISTS, GET) or to empty it, without a Redis client package in the tests.
/// </summary>
internal static class Resp
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Sends <paramref name="arguments"/> as one command to <paramref name="address"/> (<c>host:port</c>) on a new
    /// connection and returns its reply: a simple string, an error or an integer as the line Redis sent (<c>+OK</c>,
    /// <c>-ERR ...</c>, <c>:3</c>), a bulk string as its text, a missing one (<c>$-1</c>) as null.
    /// </summary>
    public static string? Command(string address, params string[] arguments)
    {
        (string host, int port) = Split(address);
        using var client = new TcpClient { ReceiveTimeout = (int)Timeout.TotalMilliseconds, SendTimeout = (int)Timeout.TotalMilliseconds };
        using (var connecting = new CancellationTokenSource(Timeout))
        {
            client.ConnectAsync(host, port, connecting.Token).AsTask().GetAwaiter().GetResult();
        }

        NetworkStream stream = client.GetStream();
        stream.Write(Encode(arguments));
        string line = ReadLine(stream);
        switch (line[0])
        {
            case '+' or '-' or ':':
                return line;
            case '$':
                int length = int.Parse(line.AsSpan(1), CultureInfo.InvariantCulture);
                if (length < 0)
                {
                    return null;
                }

                byte[] bulk = new byte[length + 2]; // the text and its CRLF
                stream.ReadExactly(bulk);
                return Encoding.UTF8.GetString(bulk, 0, length);
            default:
                throw new NotSupportedException($"Only simple replies are read here, not: {line}");
        }
    }

    /// <summary>Whether a Redis at <paramref name="address"/> answers PING with PONG.</summary>
    public static bool Pings(string address)
    {
        try
        {
            return Command(address, "PING") == "+PONG";
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            return false;
        }
    }

    // A command is an array of bulk strings: *<count>\r\n, then $<byte length>\r\n<bytes>\r\n for each argument.
    private static byte[] Encode(string[] arguments)
    {
        var command = new StringBuilder();
        command.Append(CultureInfo.InvariantCulture, $"*{arguments.Length}\r\n");
        foreach (string argument in arguments)
        {
            command.Append(CultureInfo.InvariantCulture, $"${Encoding.UTF8.GetByteCount(argument)}\r\n{argument}\r\n");
        }

        return Encoding.UTF8.GetBytes(command.ToString());
    }

    private static string ReadLine(NetworkStream stream)
    {
        var line = new List<byte>();
        while (line.Count < 2 || line[^2] != '\r' || line[^1] != '\n')
        {
            int next = stream.ReadByte();
            if (next < 0)
            {
                throw new IOException("Redis closed the connection before its reply ended.");
            }

            line.Add((byte)next);
        }

        return Encoding.UTF8.GetString(line.ToArray(), 0, line.Count - 2);
    }

    private static (string Host, int Port) Split(string address)
    {
        int colon = address.LastIndexOf(':');
        return (address[..colon], int.Parse(address.AsSpan(colon + 1), CultureInfo.InvariantCulture));
    }
}
