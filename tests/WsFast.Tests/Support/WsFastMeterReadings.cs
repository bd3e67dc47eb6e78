using System.Diagnostics.Metrics;

namespace WsFast.Tests.Support;

/// <summary>
/// The current figures of every <c>WsFast</c> meter in the process, read once through a MeterListener. A listener
/// hears every meter of the process, hence the tests that use this run alone.
/// </summary>
internal static class WsFastMeterReadings
{
    /// <summary>
    /// One dictionary per <c>WsFast</c> meter (another server in the process has its own), keyed by the instrument's
    /// name followed by its tags as <c>|key=value</c>, e.g. <c>wsfast.closes|code=1000</c>.
    /// </summary>
    public static List<Dictionary<string, long>> Read()
    {
        var measured = new Dictionary<Meter, Dictionary<string, long>>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "WsFast")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        void Record(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            string key = instrument.Name;
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                key += $"|{tag.Key}={tag.Value}";
            }

            if (!measured.TryGetValue(instrument.Meter, out Dictionary<string, long>? values))
            {
                measured[instrument.Meter] = values = [];
            }

            values[key] = value;
        }

        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Record(instrument, value, tags));
        listener.Start();
        listener.RecordObservableInstruments();
        return [.. measured.Values];
    }
}
