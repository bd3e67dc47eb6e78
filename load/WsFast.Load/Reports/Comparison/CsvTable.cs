using System.Text;

namespace WsFast.Load.Reports.Comparison;

/// <summary>
/// A CSV file read by column name (RFC 4180: quoted cells may hold commas, doubled quotes and line breaks).
/// Reading by name rather than by position keeps a reader working when writers add columns.
/// </summary>
public sealed class CsvTable
{
    private CsvTable(IReadOnlyList<string> header, IReadOnlyList<CsvRow> rows)
    {
        Header = header;
        Rows = rows;
    }

    /// <summary>The column names, in file order.</summary>
    public IReadOnlyList<string> Header { get; }

    /// <summary>The data lines.</summary>
    public IReadOnlyList<CsvRow> Rows { get; }

    /// <summary>Reads the file at <paramref name="path"/>.</summary>
    public static CsvTable Read(string path) => Parse(File.ReadAllText(path));

    /// <summary>Parses CSV text whose first line is the header; an empty text has no columns and no rows.</summary>
    public static CsvTable Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        List<List<string>> lines = Split(text);
        if (lines.Count == 0)
        {
            return new CsvTable([], []);
        }

        List<string> header = lines[0];
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < header.Count; i++)
        {
            index.TryAdd(header[i].Trim(), i);
        }

        var rows = lines.Skip(1).Select(cells => new CsvRow(index, cells)).ToList();
        return new CsvTable(header.Select(h => h.Trim()).ToList(), rows);
    }

    private static List<List<string>> Split(string text)
    {
        var lines = new List<List<string>>();
        var cells = new List<string>();
        var cell = new StringBuilder();
        bool quoted = false;
        bool lineHasContent = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    cell.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    cell.Append(c);
                }

                continue;
            }

            switch (c)
            {
                case '"':
                    quoted = true;
                    lineHasContent = true;
                    break;
                case ',':
                    cells.Add(cell.ToString());
                    cell.Clear();
                    lineHasContent = true;
                    break;
                case '\r':
                    break;
                case '\n':
                    EndLine();
                    break;
                default:
                    cell.Append(c);
                    lineHasContent = true;
                    break;
            }
        }

        EndLine();
        return lines;

        void EndLine()
        {
            // Blank lines (a trailing newline, mostly) hold no row.
            if (lineHasContent)
            {
                cells.Add(cell.ToString());
                lines.Add(cells);
            }

            cells = [];
            cell.Clear();
            lineHasContent = false;
        }
    }
}
