import Foundation

/// Writes the loss curves as a standalone SVG chart (axes, ticks, grid, labels, title, legend):
/// the raw training loss, its smoothed line (LLaMA-Factory's plot_loss smoothing), and eval loss
/// as points. SVG keeps kimi-sft free of image libraries and any browser shows it.
public enum LossPlot {
    public static let fileName = "training_loss.svg"

    /// Chart geometry in SVG user units.
    static let width = 800.0, height = 480.0
    static let left = 72.0, right = 24.0, top = 48.0, bottom = 60.0

    /// Writes the chart of `history` to `outputDirectory/training_loss.svg`, returning its URL.
    @discardableResult
    public static func write(_ history: [MetricsLog.LossPoint], title: String, to outputDirectory: URL) throws(MetricsError) -> URL {
        let url = outputDirectory.appendingPathComponent(fileName)
        do {
            try Data(svg(history, title: title).utf8).write(to: url, options: .atomic)
        } catch {
            throw MetricsError(path: url.path, reason: (error as NSError).localizedDescription)
        }
        return url
    }

    /// The SVG document for `history` (non-finite losses are left out).
    public static func svg(_ history: [MetricsLog.LossPoint], title: String) -> String {
        let train = history.compactMap { p in p.loss.flatMap { $0.isFinite ? (Double(p.step), $0) : nil } }
        let eval = history.compactMap { p in p.evalLoss.flatMap { $0.isFinite ? (Double(p.step), $0) : nil } }
        let smoothed = zip(train.map(\.0), smooth(train.map(\.1))).map { ($0, $1) }
        let all = train + eval

        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let xTicks = niceTicks(lower: all.map(\.0).min() ?? 0, upper: all.map(\.0).max() ?? 1, count: 8)
        let yTicks = niceTicks(lower: all.map(\.1).min() ?? 0, upper: all.map(\.1).max() ?? 1, count: 6)
        let (x0, x1) = (xTicks.first!, xTicks.last!), (y0, y1) = (yTicks.first!, yTicks.last!)
        func px(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * plotWidth }
        func py(_ y: Double) -> Double { top + (1 - (y - y0) / (y1 - y0)) * plotHeight }

        var s = """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(f(width))" height="\(f(height))" viewBox="0 0 \(f(width)) \(f(height))" font-family="Helvetica, Arial, sans-serif">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(f(width / 2))" y="28" text-anchor="middle" font-size="18" font-weight="bold">\(escape(title))</text>

        """
        // Grid and ticks.
        let xDecimals = decimals(for: xTicks), yDecimals = decimals(for: yTicks)
        for x in xTicks {
            s += "<line x1=\"\(f(px(x)))\" y1=\"\(f(top))\" x2=\"\(f(px(x)))\" y2=\"\(f(top + plotHeight))\" stroke=\"#e5e5e5\"/>\n"
            s += "<line x1=\"\(f(px(x)))\" y1=\"\(f(top + plotHeight))\" x2=\"\(f(px(x)))\" y2=\"\(f(top + plotHeight + 5))\" stroke=\"black\"/>\n"
            s += "<text x=\"\(f(px(x)))\" y=\"\(f(top + plotHeight + 20))\" text-anchor=\"middle\" font-size=\"12\">\(label(x, xDecimals))</text>\n"
        }
        for y in yTicks {
            s += "<line x1=\"\(f(left))\" y1=\"\(f(py(y)))\" x2=\"\(f(left + plotWidth))\" y2=\"\(f(py(y)))\" stroke=\"#e5e5e5\"/>\n"
            s += "<line x1=\"\(f(left - 5))\" y1=\"\(f(py(y)))\" x2=\"\(f(left))\" y2=\"\(f(py(y)))\" stroke=\"black\"/>\n"
            s += "<text x=\"\(f(left - 8))\" y=\"\(f(py(y) + 4))\" text-anchor=\"end\" font-size=\"12\">\(label(y, yDecimals))</text>\n"
        }
        // Axes and their labels.
        s += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotWidth))\" height=\"\(f(plotHeight))\" fill=\"none\" stroke=\"black\"/>\n"
        s += "<text x=\"\(f(left + plotWidth / 2))\" y=\"\(f(height - 16))\" text-anchor=\"middle\" font-size=\"14\">step</text>\n"
        s += "<text x=\"18\" y=\"\(f(top + plotHeight / 2))\" text-anchor=\"middle\" font-size=\"14\" transform=\"rotate(-90 18 \(f(top + plotHeight / 2)))\">loss</text>\n"
        // Series.
        if train.count > 1 {
            s += polyline(train.map { (px($0.0), py($0.1)) }, color: "#9ecae1", width: 1.5)
            s += polyline(smoothed.map { (px($0.0), py($0.1)) }, color: "#1f77b4", width: 2.5)
        } else if let only = train.first {
            s += "<circle cx=\"\(f(px(only.0)))\" cy=\"\(f(py(only.1)))\" r=\"3\" fill=\"#1f77b4\"/>\n"
        }
        if eval.count > 1 { s += polyline(eval.map { (px($0.0), py($0.1)) }, color: "#ff7f0e", width: 1, dashed: true) }
        for point in eval {
            s += "<circle cx=\"\(f(px(point.0)))\" cy=\"\(f(py(point.1)))\" r=\"4\" fill=\"#ff7f0e\" stroke=\"white\"/>\n"
        }
        if all.isEmpty {
            s += "<text x=\"\(f(left + plotWidth / 2))\" y=\"\(f(top + plotHeight / 2))\" text-anchor=\"middle\" font-size=\"14\" fill=\"#888\">no loss logged yet</text>\n"
        }
        // Legend (top right, inside the plot).
        var entries: [(String, String, Bool)] = []
        if !train.isEmpty { entries += [("train loss", "#9ecae1", false), ("train loss (smoothed)", "#1f77b4", false)] }
        if !eval.isEmpty { entries.append(("eval loss", "#ff7f0e", true)) }
        let legendX = left + plotWidth - 190
        for (k, entry) in entries.enumerated() {
            let y = top + 18 + Double(k) * 18
            if entry.2 {
                s += "<circle cx=\"\(f(legendX + 12))\" cy=\"\(f(y - 4))\" r=\"4\" fill=\"\(entry.1)\"/>\n"
            } else {
                s += "<line x1=\"\(f(legendX))\" y1=\"\(f(y - 4))\" x2=\"\(f(legendX + 24))\" y2=\"\(f(y - 4))\" stroke=\"\(entry.1)\" stroke-width=\"2.5\"/>\n"
            }
            s += "<text x=\"\(f(legendX + 32))\" y=\"\(f(y))\" font-size=\"12\">\(entry.0)</text>\n"
        }
        s += "</svg>\n"
        return s
    }

    /// LLaMA-Factory's `smooth`: an exponential moving average whose weight grows with the number
    /// of points (1.8 * (sigmoid(0.05 n) - 0.5)), so short runs stay close to the raw curve.
    public static func smooth(_ values: [Double]) -> [Double] {
        guard var last = values.first else { return [] }
        let weight = 1.8 * (1 / (1 + exp(-0.05 * Double(values.count))) - 0.5)
        return values.map { value in
            last = last * weight + (1 - weight) * value
            return last
        }
    }

    /// Round tick values (1, 2 or 5 times a power of ten) covering [lower, upper], about `count`.
    static func niceTicks(lower: Double, upper: Double, count: Int) -> [Double] {
        var low = lower, high = upper
        if high - low < 1e-12 { low -= max(abs(low) * 0.05, 0.5); high += max(abs(high) * 0.05, 0.5) }
        let step = niceNumber((high - low) / Double(max(1, count - 1)), round: true)
        let first = (low / step).rounded(.down) * step, last = (high / step).rounded(.up) * step
        let n = Int(((last - first) / step).rounded())
        return (0...n).map { first + Double($0) * step }
    }

    private static func niceNumber(_ x: Double, round: Bool) -> Double {
        let exponent = floor(log10(x)), fraction = x / pow(10, exponent)
        let nice: Double
        if round { nice = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10 }
        else { nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10 }
        return nice * pow(10, exponent)
    }

    private static func decimals(for ticks: [Double]) -> Int {
        guard ticks.count > 1 else { return 0 }
        return max(0, Int(-floor(log10(ticks[1] - ticks[0]) + 1e-9)))
    }

    private static func label(_ value: Double, _ decimals: Int) -> String {
        String(format: "%.\(decimals)f", abs(value) < 1e-12 ? 0 : value)
    }

    private static func polyline(_ points: [(Double, Double)], color: String, width: Double, dashed: Bool = false) -> String {
        let coordinates = points.map { "\(f($0.0)),\(f($0.1))" }.joined(separator: " ")
        return "<polyline points=\"\(coordinates)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"\(f(width))\""
            + (dashed ? " stroke-dasharray=\"4 3\"" : "") + " stroke-linejoin=\"round\"/>\n"
    }

    private static func f(_ x: Double) -> String { String(format: "%.1f", x) }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
