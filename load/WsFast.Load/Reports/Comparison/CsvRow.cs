using System.Globalization;

namespace WsFast.Load.Reports.Comparison;

/// <summary>One data line of a <see cref="CsvTable"/>, read by column name.</summary>
public sealed class CsvRow
{
    private readonly IReadOnlyDictionary<string, int> _index;
    private readonly IReadOnlyList<string> _cells;

    internal CsvRow(IReadOnlyDictionary<string, int> index, IReadOnlyList<string> cells)
    {
        _index = index;
        _cells = cells;
    }

    /// <summary>The file's column names, in file order.</summary>
    public IEnumerable<string> Columns => _index.OrderBy(c => c.Value).Select(c => c.Key);

    /// <summary>The cell of <paramref name="column"/>; null when the file has no such column or the cell is empty.</summary>
    public string? this[string column] =>
        _index.TryGetValue(column, out int i) && i < _cells.Count && _cells[i].Length > 0 ? _cells[i] : null;

    /// <summary>The cell of <paramref name="column"/> as an invariant number; null when missing, empty or not a number.</summary>
    public double? Number(string column) =>
        double.TryParse(this[column], NumberStyles.Float, CultureInfo.InvariantCulture, out double value) ? value : null;
}
