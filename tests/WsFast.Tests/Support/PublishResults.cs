namespace WsFast.Tests.Support;

/// <summary>Comparing publishes by what a test controls: the sequence number and the subscribers reached, not the random epoch.</summary>
internal static class PublishResults
{
    public static PublishResult IgnoringEpoch(this PublishResult result) => result with { Epoch = 0 };
}
