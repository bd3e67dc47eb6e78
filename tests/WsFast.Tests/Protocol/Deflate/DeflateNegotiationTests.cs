using System.Text;
using WsFast.Protocol;
using WsFast.Protocol.Deflate;

namespace WsFast.Tests.Protocol.Deflate;

/// <summary>RFC 7692 sections 5 and 7.1: which offer a server accepts, and what its response says.</summary>
public class DeflateNegotiationTests
{
    // Lean defaults: the server resets both contexts and compresses with a 4 KiB window.
    private static readonly DeflatePolicy Lean = new(12, 15, ServerContextTakeover: false, ClientContextTakeover: false);

    // Takes what the client asks, as far as the RFC lets it.
    private static readonly DeflatePolicy Generous = new(15, 15, ServerContextTakeover: true, ClientContextTakeover: true);

    private static string? Negotiate(string header, DeflatePolicy policy)
    {
        var offers = new List<ExtensionOffer>();
        Assert.True(ExtensionOffer.TryParse(Encoding.ASCII.GetBytes(header), offers));
        return DeflateNegotiation.TryAccept(offers, policy, out DeflateAgreement agreement) ? agreement.ToHeaderValue() : null;
    }

    [Fact]
    public void Chromes_offer_is_accepted_and_the_client_is_asked_to_reset_and_may_keep_its_window()
    {
        Assert.Equal(
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=12",
            Negotiate("permessage-deflate; client_max_window_bits", Lean));
    }

    [Fact]
    public void A_bare_offer_is_accepted_as_is_by_a_server_that_keeps_contexts()
    {
        Assert.Equal("permessage-deflate", Negotiate("permessage-deflate", Generous));
    }

    [Theory]
    [InlineData("permessage-deflate; server_no_context_takeover", "permessage-deflate; server_no_context_takeover")]
    [InlineData("permessage-deflate; client_no_context_takeover", "permessage-deflate; client_no_context_takeover")]
    [InlineData("permessage-deflate; server_max_window_bits=10", "permessage-deflate; server_max_window_bits=10")]
    [InlineData("permessage-deflate; client_max_window_bits=11", "permessage-deflate; client_max_window_bits=11")]
    [InlineData("permessage-deflate; client_max_window_bits", "permessage-deflate")]
    [InlineData("permessage-deflate; server_max_window_bits=\"10\"", "permessage-deflate; server_max_window_bits=10")]
    public void Section_7_1_each_parameter_is_agreed_to(string offer, string response)
    {
        Assert.Equal(response, Negotiate(offer, Generous));
    }

    [Fact]
    public void Section_7_1_2_1_a_smaller_server_window_than_offered_is_stated()
    {
        Assert.Equal(
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=12",
            Negotiate("permessage-deflate; server_max_window_bits=15", Lean));
    }

    [Fact]
    public void Section_7_1_2_2_a_client_window_is_only_limited_when_the_client_understands_the_parameter()
    {
        var policy = Lean with { ClientMaxWindowBits = 10 };
        Assert.Equal(
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=12; client_max_window_bits=10",
            Negotiate("permessage-deflate; client_max_window_bits", policy));
        Assert.Equal(
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=12",
            Negotiate("permessage-deflate", policy));
    }

    [Fact]
    public void Section_7_1_2_2_a_client_window_of_8_is_answered_8_never_more_than_offered()
    {
        // zlib cannot compress raw DEFLATE with 8 and uses 9, whose matches reach back at most 250 bytes: see
        // MessageDeflaterTests, where a decompressor with a window of 8 reads all it writes.
        Assert.Equal("permessage-deflate; client_max_window_bits=8", Negotiate("permessage-deflate; client_max_window_bits=8", Generous));
    }

    [Fact]
    public void A_server_window_of_8_is_agreed_and_honoured_by_zlib_with_9()
    {
        // zlib's window of 9 never refers back beyond 250 bytes: see MessageDeflaterTests.
        Assert.Equal("permessage-deflate; server_max_window_bits=8", Negotiate("permessage-deflate; server_max_window_bits=8", Generous));
    }

    [Theory]
    [InlineData("permessage-deflate; foo")]
    [InlineData("permessage-deflate; server_no_context_takeover; server_no_context_takeover")]
    [InlineData("permessage-deflate; server_max_window_bits=10; server_max_window_bits=10")]
    [InlineData("permessage-deflate; client_max_window_bits; client_max_window_bits=10")]
    [InlineData("permessage-deflate; server_no_context_takeover=1")]
    [InlineData("permessage-deflate; client_no_context_takeover=true")]
    [InlineData("permessage-deflate; server_max_window_bits")]
    [InlineData("permessage-deflate; server_max_window_bits=7")]
    [InlineData("permessage-deflate; server_max_window_bits=16")]
    [InlineData("permessage-deflate; client_max_window_bits=7")]
    [InlineData("permessage-deflate; client_max_window_bits=016")]
    [InlineData("permessage-deflate; client_max_window_bits=09")]
    [InlineData("permessage-deflate; server_max_window_bits=ten")]
    [InlineData("x-webkit-deflate-frame")]
    public void An_invalid_or_unknown_offer_is_declined(string offer)
    {
        Assert.Null(Negotiate(offer, Generous));
    }

    [Fact]
    public void Section_5_the_first_acceptable_of_several_alternatives_is_taken()
    {
        Assert.Equal(
            "permessage-deflate; client_max_window_bits=10",
            Negotiate("permessage-deflate; foo, permessage-deflate; client_max_window_bits=10, permessage-deflate", Generous));
    }

    [Fact]
    public void Parameter_names_are_matched_without_regard_to_case()
    {
        Assert.Equal("permessage-deflate; server_no_context_takeover", Negotiate("PerMessage-Deflate; Server_No_Context_Takeover", Generous));
    }
}
