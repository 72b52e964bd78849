using System.Globalization;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Platform.Training.Tests.Common;

/// <summary>Small real files for training tests: a tiny BERT config and vocabulary, labelled CSVs, PNG images.</summary>
public static class TestData
{
    public static readonly string[] PositiveWords = ["good", "great", "fine", "nice", "happy", "love"];
    public static readonly string[] NegativeWords = ["bad", "awful", "poor", "sad", "hate", "ugly"];
    public static readonly string[] FillerWords = ["the", "movie", "was", "a", "day", "it", "very", "so"];

    public static void WriteTinyBertConfig(string path, int maxPositions = 64) =>
        File.WriteAllText(path, $$"""
            {
              "model_type": "bert",
              "vocab_size": 40,
              "hidden_size": 16,
              "num_hidden_layers": 2,
              "num_attention_heads": 2,
              "intermediate_size": 32,
              "hidden_act": "gelu",
              "hidden_dropout_prob": 0.1,
              "attention_probs_dropout_prob": 0.1,
              "max_position_embeddings": {{maxPositions}},
              "type_vocab_size": 2,
              "initializer_range": 0.02,
              "layer_norm_eps": 1e-12,
              "pad_token_id": 0
            }
            """);

    /// <summary>A DistilBERT config in Hugging Face's names, the size of <see cref="WriteTinyBertConfig"/>.</summary>
    public static void WriteTinyDistilBertConfig(string path, int maxPositions = 64) =>
        File.WriteAllText(path, $$"""
            {
              "architectures": ["DistilBertForMaskedLM"],
              "model_type": "distilbert",
              "vocab_size": 40,
              "dim": 16,
              "n_layers": 2,
              "n_heads": 2,
              "hidden_dim": 32,
              "activation": "gelu",
              "dropout": 0.1,
              "attention_dropout": 0.1,
              "seq_classif_dropout": 0.2,
              "max_position_embeddings": {{maxPositions}},
              "sinusoidal_pos_embds": false,
              "initializer_range": 0.02,
              "pad_token_id": 0,
              "tie_weights_": true
            }
            """);

    public static void WriteVocabulary(string path) =>
        File.WriteAllLines(path, ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", .. PositiveWords, .. NegativeWords, .. FillerWords, "!", ".", "##s"]);

    /// <summary>Sentences whose label follows the sentiment words in them.</summary>
    public static void WriteSentimentCsv(string path, int rows, int seed = 1)
    {
        var random = new Random(seed);
        var csv = new StringBuilder("text,label\n");
        for (var i = 0; i < rows; i++)
        {
            var positive = i % 2 == 0;
            var words = positive ? PositiveWords : NegativeWords;
            var sentence = $"{Pick(random, FillerWords)} {Pick(random, FillerWords)} {Pick(random, words)} {Pick(random, FillerWords)} {Pick(random, words)}";
            csv.Append('"').Append(sentence).Append(i % 3 == 0 ? ", really!" : ".").Append("\",").Append(positive ? "pos" : "neg").Append('\n');
        }

        File.WriteAllText(path, csv.ToString());
    }

    /// <summary>A folder per label of 28x28 grey PNGs: "bright" images are light, "dark" ones dark, both noisy.</summary>
    public static void WriteImageFolders(string root, int perLabel, int seed = 1)
    {
        var random = new Random(seed);
        foreach (var (label, level) in new[] { ("bright", 190), ("dark", 60) })
        {
            Directory.CreateDirectory(Path.Combine(root, label));
            for (var i = 0; i < perLabel; i++)
            {
                var pixels = new byte[28 * 28];
                for (var p = 0; p < pixels.Length; p++)
                {
                    pixels[p] = (byte)Math.Clamp(level + random.Next(-50, 50), 0, 255);
                }

                File.WriteAllBytes(Path.Combine(root, label, $"{i:D3}.png"), GreyPng(28, 28, pixels));
            }
        }
    }

    /// <summary>An 8-bit greyscale PNG (IHDR, one zlib IDAT, IEND).</summary>
    public static byte[] GreyPng(int width, int height, byte[] pixels)
    {
        using var raw = new MemoryStream();
        for (var y = 0; y < height; y++)
        {
            raw.WriteByte(0);
            raw.Write(pixels, y * width, width);
        }

        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            zlib.Write(raw.ToArray());
        }

        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8;
        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        WriteChunk(png, "IHDR", header);
        WriteChunk(png, "IDAT", compressed.ToArray());
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    private static string Pick(Random random, string[] words) => words[random.Next(words.Length)];

    private static void WriteChunk(Stream stream, string type, byte[] data)
    {
        Span<byte> number = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(number, data.Length);
        stream.Write(number);
        var typed = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        stream.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(number, Crc32(typed));
        stream.Write(number);
    }

    private static uint Crc32(byte[] data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return ~crc;
    }

    /// <summary>
    /// A churn-like table: customers on a monthly contract with short tenure and high charges leave.
    /// An id column to exclude, a few missing values in each kind of column.
    /// </summary>
    public static void WriteChurnCsv(string path, int rows, int seed = 5)
    {
        var random = new Random(seed);
        var csv = new StringBuilder("customer_id,tenure,monthly_charges,contract,churn\n");
        string[] contracts = ["month-to-month", "one-year", "two-year"];
        for (var i = 0; i < rows; i++)
        {
            var tenure = random.Next(1, 72);
            var charges = 20 + random.NextDouble() * 100;
            var contract = contracts[random.Next(3)];
            var risk = (contract == "month-to-month" ? 1.5 : -1.5) + (30 - tenure) / 15.0 + (charges - 70) / 25.0;
            var churn = risk > 0 ? "yes" : "no";
            var tenureCell = i % 17 == 3 ? "" : tenure.ToString(CultureInfo.InvariantCulture);
            var contractCell = i % 23 == 5 ? "NA" : contract;
            csv.Append(CultureInfo.InvariantCulture, $"C{i:D5},{tenureCell},{charges:F2},{contractCell},{churn}\n");
        }

        File.WriteAllText(path, csv.ToString());
    }
}
