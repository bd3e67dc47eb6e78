namespace WsFast.Protocol.Deflate;

/// <summary>
/// Chooses the permessage-deflate offer to accept (RFC 7692 section 5 and 7.1): the first offer, in the client's
/// order, that is valid and acceptable. An offer that is not valid (an unknown or repeated parameter, a value
/// where none is allowed, a window outside 8 to 15) is declined, never the handshake: the client may offer
/// alternatives, and without any the connection simply runs uncompressed.
/// </summary>
internal static class DeflateNegotiation
{
    /// <summary>Finds the offer to accept and the parameters of the response; false when none is acceptable.</summary>
    public static bool TryAccept(IReadOnlyList<ExtensionOffer> offers, in DeflatePolicy policy, out DeflateAgreement agreement)
    {
        foreach (ExtensionOffer offer in offers)
        {
            if (string.Equals(offer.Name, DeflateAgreement.Name, StringComparison.OrdinalIgnoreCase)
                && TryAccept(offer, policy, out agreement))
            {
                return true;
            }
        }

        agreement = default;
        return false;
    }

    private static bool TryAccept(ExtensionOffer offer, in DeflatePolicy policy, out DeflateAgreement agreement)
    {
        agreement = default;
        bool serverNoContext = false, clientNoContext = false;
        int serverBits = 0; // 0: not offered
        int clientBits = 0; // 0: not offered, -1: offered without a value
        foreach (ExtensionParameter parameter in offer.Parameters)
        {
            switch (parameter.Name.ToLowerInvariant())
            {
                // Section 7.1.1.1 and 7.1.1.2: no value.
                case "server_no_context_takeover" when !serverNoContext && parameter.Value is null:
                    serverNoContext = true;
                    break;
                case "client_no_context_takeover" when !clientNoContext && parameter.Value is null:
                    clientNoContext = true;
                    break;

                // Section 7.1.2.1: a value is required.
                case "server_max_window_bits" when serverBits == 0 && TryParseBits(parameter.Value, out int bits):
                    serverBits = bits;
                    break;

                // Section 7.1.2.2: the value is optional (without one, the client only says it understands the
                // parameter in a response).
                case "client_max_window_bits" when clientBits == 0 && parameter.Value is null:
                    clientBits = -1;
                    break;
                case "client_max_window_bits" when clientBits == 0 && TryParseBits(parameter.Value, out int bits):
                    clientBits = bits;
                    break;

                default:
                    return false; // unknown, repeated, or a value that is not allowed
            }
        }

        // The server may always reset its own context, and may always ask the client to reset (7.1.1.1, 7.1.1.2).
        bool agreedServerNoContext = serverNoContext || !policy.ServerContextTakeover;
        bool agreedClientNoContext = clientNoContext || !policy.ClientContextTakeover;

        // A server window smaller than the client asks for is fine; the response then says which (7.1.2.1).
        int agreedServerBits = serverBits == 0 ? policy.ServerMaxWindowBits : Math.Min(serverBits, policy.ServerMaxWindowBits);
        bool announceServerBits = serverBits != 0 || agreedServerBits < 15;

        // The client's window can only be limited if the client said it understands the parameter (7.1.2.2).
        int agreedClientBits;
        bool announceClientBits;
        if (clientBits == 0)
        {
            agreedClientBits = 15;
            announceClientBits = false;
        }
        else
        {
            // Never more than the client offered (7.1.2.2): Node ws and python-websockets refuse a response above it.
            // A window of 8 is answered 8: a zlib-based client compresses it with zlib's smallest raw window, 9,
            // whose matches reach back at most 250 bytes, so the agreed 8 holds either way.
            agreedClientBits = clientBits < 0 ? policy.ClientMaxWindowBits : Math.Min(clientBits, policy.ClientMaxWindowBits);
            announceClientBits = clientBits > 0 || agreedClientBits < 15;
        }

        agreement = new DeflateAgreement(
            agreedServerNoContext, agreedClientNoContext, agreedServerBits, agreedClientBits, announceServerBits, announceClientBits);
        return true;
    }

    // "a decimal integer value without leading zeroes between 8 to 15, inclusive" (7.1.2.1); quotes were already
    // removed by the header parser (RFC 6455 section 9.1 allows a quoted value).
    internal static bool TryParseBits(string? value, out int bits)
    {
        bits = 0;
        if (value is null || value.Length is < 1 or > 2 || value[0] == '0')
        {
            return false;
        }

        foreach (char c in value)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }

            bits = bits * 10 + (c - '0');
        }

        return bits is >= 8 and <= 15;
    }
}
