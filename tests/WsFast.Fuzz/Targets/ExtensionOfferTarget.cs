using System.Text;
using WsFast.Protocol;

namespace WsFast.Fuzz.Targets;

/// <summary>
/// <c>extension-offer</c>: one <c>Sec-WebSocket-Extensions</c> value (RFC 6455 section 9.1, RFC 7230 section 7)
/// through <see cref="ExtensionOffer.TryParse"/>, which the handshake reader runs twice: once only to check the
/// syntax (refusing a bad header with 400 before allocating), once to build the offers a server negotiates.
/// </summary>
public static class ExtensionOfferTarget
{
    /// <summary>Parses <paramref name="input"/>; throws <see cref="ContractViolationException"/> on a breach.</summary>
    public static void Run(ReadOnlySpan<byte> input)
    {
        var offers = new List<ExtensionOffer>();
        bool checkedOnly;
        bool parsed;
        try
        {
            checkedOnly = ExtensionOffer.TryParse(input, null);
            parsed = ExtensionOffer.TryParse(input, offers);
        }
        catch (Exception e)
        {
            throw new ContractViolationException($"parsing {Convert.ToHexString(input)} threw {e}");
        }

        // The check that accepts a header before the upgrade must agree with the parse that uses it after.
        ContractViolationException.Check(checkedOnly == parsed, $"check {checkedOnly}, parse {parsed} for {Convert.ToHexString(input)}");
        if (!parsed)
        {
            return;
        }

        foreach (ExtensionOffer offer in offers)
        {
            ContractViolationException.Check(IsToken(offer.Name), $"offer name '{offer.Name}'");
            foreach (ExtensionParameter parameter in offer.Parameters)
            {
                ContractViolationException.Check(
                    IsToken(parameter.Name) && (parameter.Value is null || IsToken(parameter.Value)),
                    $"parameter '{parameter.Name}'='{parameter.Value}'");
            }
        }

        // What the server echoes back in its 101 is the offer in header syntax: it must read the same again.
        string written = string.Join(", ", offers);
        var again = new List<ExtensionOffer>();
        ContractViolationException.Check(
            ExtensionOffer.TryParse(Encoding.ASCII.GetBytes(written), again) && string.Join(", ", again) == written,
            $"'{written}' does not parse back to itself");
    }

    private static bool IsToken(string text) => HandshakeSyntax.IsToken(text.AsSpan());
}
