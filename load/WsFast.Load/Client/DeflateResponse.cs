using System.Text;
using WsFast.Protocol;
using WsFast.Protocol.Deflate;

namespace WsFast.Load.Client;

/// <summary>
/// The client's side of permessage-deflate's negotiation (RFC 7692 sections 5 and 7.1): the offer Chromium sends,
/// and the checks a client makes on what the server's <c>Sec-WebSocket-Extensions</c> agreed to.
/// </summary>
internal static class DeflateResponse
{
    /// <summary>
    /// Chromium's offer, byte for byte (the header of a Chrome upgrade request, as in
    /// <c>bench/WsFast.Benchmarks/HandshakeBenchmarks.cs</c>): deflate with any server window and context, and a
    /// client window the server may limit.
    /// </summary>
    public const string ChromiumOffer = "permessage-deflate; client_max_window_bits";

    /// <summary>
    /// Reads the response's <c>Sec-WebSocket-Extensions</c> (null when absent) to an offer of
    /// <see cref="ChromiumOffer"/>: false with <paramref name="agreement"/> null when the server declined, true with
    /// the agreed parameters, and throws when the response is not one a client may accept (section 5.1: an
    /// extension not offered, permessage-deflate twice, an unknown, repeated or malformed parameter).
    /// </summary>
    /// <exception cref="FormatException">The server's answer must fail the connection.</exception>
    public static bool TryRead(string? header, out DeflateAgreement? agreement)
    {
        agreement = null;
        if (header is null)
        {
            return false;
        }

        var elements = new List<ExtensionOffer>();
        if (!ExtensionOffer.TryParse(Encoding.ASCII.GetBytes(header), elements))
        {
            throw new FormatException($"Sec-WebSocket-Extensions '{header}' is not valid header syntax");
        }

        if (elements.Count == 0)
        {
            return false;
        }

        if (elements.Count > 1 || !string.Equals(elements[0].Name, DeflateAgreement.Name, StringComparison.OrdinalIgnoreCase))
        {
            throw new FormatException($"Sec-WebSocket-Extensions '{header}' holds more than the one permessage-deflate offered");
        }

        bool serverNoContext = false, clientNoContext = false;
        int serverBits = 0, clientBits = 0; // 0: not in the response, so 15 (section 7.1.2)
        foreach (ExtensionParameter parameter in elements[0].Parameters)
        {
            switch (parameter.Name.ToLowerInvariant())
            {
                case "server_no_context_takeover" when !serverNoContext && parameter.Value is null:
                    serverNoContext = true;
                    break;
                case "client_no_context_takeover" when !clientNoContext && parameter.Value is null:
                    clientNoContext = true;
                    break;
                case "server_max_window_bits" when serverBits == 0 && DeflateNegotiation.TryParseBits(parameter.Value, out int bits):
                    serverBits = bits;
                    break;

                // Section 7.1.2.2: allowed in the response because the offer carried it; a value is required here.
                case "client_max_window_bits" when clientBits == 0 && DeflateNegotiation.TryParseBits(parameter.Value, out int bits):
                    clientBits = bits;
                    break;
                default:
                    throw new FormatException($"Sec-WebSocket-Extensions '{header}': parameter '{parameter.Name}' is unknown, repeated or has a wrong value");
            }
        }

        agreement = new DeflateAgreement(
            serverNoContext, clientNoContext, serverBits == 0 ? 15 : serverBits, clientBits == 0 ? 15 : clientBits,
            AnnounceServerWindow: serverBits != 0, AnnounceClientWindow: clientBits != 0);
        return true;
    }
}
