namespace WsFast.Load.Engine;

/// <summary>
/// The progress samples of the run this process is making (or made last), one per progress tick, for the
/// run folder's timeline.csv.
/// </summary>
/// <remarks>
/// A process runs one scenario, so one process-wide timeline is enough; it lets the progress printer hand
/// its samples to the report without the runner (whose calls stay as they are) carrying them.
/// </remarks>
public static class RunTimeline
{
    private static readonly Lock Gate = new();
    private static List<ProgressSample> _samples = [];

    /// <summary>A copy of the samples so far.</summary>
    public static IReadOnlyList<ProgressSample> Samples
    {
        get
        {
            lock (Gate)
            {
                return [.. _samples];
            }
        }
    }

    /// <summary>Forgets the samples of an earlier run.</summary>
    internal static void Begin()
    {
        lock (Gate)
        {
            _samples = [];
        }
    }

    /// <summary>Adds one sample.</summary>
    internal static void Add(ProgressSample sample)
    {
        lock (Gate)
        {
            _samples.Add(sample);
        }
    }
}
