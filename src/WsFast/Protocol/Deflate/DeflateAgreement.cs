using System.Collections.Concurrent;
using System.Text;

namespace WsFast.Protocol.Deflate;

/// <summary>
/// The permessage-deflate parameters a server agreed to in its response (RFC 7692 section 7.1): what each side
/// may refer back to.
/// </summary>
/// <param name="ServerNoContextTakeover">The server resets its compressor after every message.</param>
/// <param name="ClientNoContextTakeover">The client resets its compressor after every message.</param>
/// <param name="ServerMaxWindowBits">The server's matches refer back at most 2^bits bytes (8 to 15).</param>
/// <param name="ClientMaxWindowBits">The client's matches refer back at most 2^bits bytes (8 to 15).</param>
/// <param name="AnnounceServerWindow">Whether the response states <c>server_max_window_bits</c>.</param>
/// <param name="AnnounceClientWindow">Whether the response states <c>client_max_window_bits</c>.</param>
internal readonly record struct DeflateAgreement(
    bool ServerNoContextTakeover,
    bool ClientNoContextTakeover,
    int ServerMaxWindowBits,
    int ClientMaxWindowBits,
    bool AnnounceServerWindow,
    bool AnnounceClientWindow)
{
    /// <summary>The extension's token.</summary>
    public const string Name = "permessage-deflate";

    // At most a thousand different agreements exist: each header is made once and shared by every connection that
    // agreed the same, rather than held per connection.
    private static readonly ConcurrentDictionary<DeflateAgreement, string> s_headers = new();

    /// <summary>The <c>Sec-WebSocket-Extensions</c> value of the response (one shared string per agreement).</summary>
    public string ToHeaderValue() => s_headers.GetOrAdd(this, static agreement => agreement.Render());

    private string Render()
    {
        var text = new StringBuilder(Name);
        if (ServerNoContextTakeover)
        {
            text.Append("; server_no_context_takeover");
        }

        if (ClientNoContextTakeover)
        {
            text.Append("; client_no_context_takeover");
        }

        if (AnnounceServerWindow)
        {
            text.Append("; server_max_window_bits=").Append(ServerMaxWindowBits);
        }

        if (AnnounceClientWindow)
        {
            text.Append("; client_max_window_bits=").Append(ClientMaxWindowBits);
        }

        return text.ToString();
    }
}
