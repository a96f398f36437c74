// File: standards/cvss40_tables.h (internal to standards/cvss.cc; not a public header)
//
// The data of the CVSS v4.0 MacroVector scoring method: the score of each of the 270
// MacroVectors, the highest-severity vectors of each EQ level, and the depth of each EQ level.
//
//   for (const cvss40::MacroVectorScore& m : cvss40::kMacroVectorScores) {
//     Use(m.macro_vector, m.tenths);  // "000000", 100
//   }
//
// Source, copied value for value (scores are stored in tenths: 9.9 -> 99):
//   github.com/FIRSTdotorg/cvss-v4-calculator at commit c5b0d409ae9f57c44264c6ce5f27d89298e1d32a
//   (2024-08-19): cvss_lookup.js (cvssLookup_global), max_composed.js (maxComposed),
//   max_severity.js (maxSeverity). The same values are in
//   github.com/RedHatProductSecurity/cvss at commit 2f149099257ae06b98cef252efc440bddafe61e5,
//   cvss/constants4.py (CVSS_LOOKUP_GLOBAL, MAX_COMPOSED, MAX_SEVERITY); the two were compared
//   entry by entry when this file was written.
// Copyright FIRST, Red Hat, and contributors; the data is distributed under BSD-2-Clause.
#pragma once

#include <array>
#include <string_view>

namespace forewarn::standards::cvss40 {

struct MacroVectorScore {
  std::string_view macro_vector;  // six digits: EQ1 EQ2 EQ3 EQ4 EQ5 EQ6
  int tenths;                     // the MacroVector's score times ten
};

// Sorted by macro_vector. EQ3=2 exists only with EQ6=1, hence 3*2*5*3*3 = 270 entries.
inline constexpr std::array<MacroVectorScore, 270> kMacroVectorScores = {{
    {"000000", 100}, {"000001", 99}, {"000010", 98}, {"000011", 95}, {"000020", 95}, {"000021", 92},
    {"000100", 100}, {"000101", 96}, {"000110", 93}, {"000111", 87}, {"000120", 91}, {"000121", 81},
    {"000200", 93},  {"000201", 90}, {"000210", 89}, {"000211", 80}, {"000220", 81}, {"000221", 68},
    {"001000", 98},  {"001001", 95}, {"001010", 95}, {"001011", 92}, {"001020", 90}, {"001021", 84},
    {"001100", 93},  {"001101", 92}, {"001110", 89}, {"001111", 81}, {"001120", 81}, {"001121", 65},
    {"001200", 88},  {"001201", 80}, {"001210", 78}, {"001211", 70}, {"001220", 69}, {"001221", 48},
    {"002001", 92},  {"002011", 82}, {"002021", 72}, {"002101", 79}, {"002111", 69}, {"002121", 50},
    {"002201", 69},  {"002211", 55}, {"002221", 27}, {"010000", 99}, {"010001", 97}, {"010010", 95},
    {"010011", 92},  {"010020", 92}, {"010021", 85}, {"010100", 95}, {"010101", 91}, {"010110", 90},
    {"010111", 83},  {"010120", 84}, {"010121", 71}, {"010200", 92}, {"010201", 81}, {"010210", 82},
    {"010211", 71},  {"010220", 72}, {"010221", 53}, {"011000", 95}, {"011001", 93}, {"011010", 92},
    {"011011", 85},  {"011020", 85}, {"011021", 73}, {"011100", 92}, {"011101", 82}, {"011110", 80},
    {"011111", 72},  {"011120", 70}, {"011121", 59}, {"011200", 84}, {"011201", 70}, {"011210", 71},
    {"011211", 52},  {"011220", 50}, {"011221", 30}, {"012001", 86}, {"012011", 75}, {"012021", 52},
    {"012101", 71},  {"012111", 52}, {"012121", 29}, {"012201", 63}, {"012211", 29}, {"012221", 17},
    {"100000", 98},  {"100001", 95}, {"100010", 94}, {"100011", 87}, {"100020", 91}, {"100021", 81},
    {"100100", 94},  {"100101", 89}, {"100110", 86}, {"100111", 74}, {"100120", 77}, {"100121", 64},
    {"100200", 87},  {"100201", 75}, {"100210", 74}, {"100211", 63}, {"100220", 63}, {"100221", 49},
    {"101000", 94},  {"101001", 89}, {"101010", 88}, {"101011", 77}, {"101020", 76}, {"101021", 67},
    {"101100", 86},  {"101101", 76}, {"101110", 74}, {"101111", 58}, {"101120", 59}, {"101121", 50},
    {"101200", 72},  {"101201", 57}, {"101210", 57}, {"101211", 52}, {"101220", 52}, {"101221", 25},
    {"102001", 83},  {"102011", 70}, {"102021", 54}, {"102101", 65}, {"102111", 58}, {"102121", 26},
    {"102201", 53},  {"102211", 21}, {"102221", 13}, {"110000", 95}, {"110001", 90}, {"110010", 88},
    {"110011", 76},  {"110020", 76}, {"110021", 70}, {"110100", 90}, {"110101", 77}, {"110110", 75},
    {"110111", 62},  {"110120", 61}, {"110121", 53}, {"110200", 77}, {"110201", 66}, {"110210", 68},
    {"110211", 59},  {"110220", 52}, {"110221", 30}, {"111000", 89}, {"111001", 78}, {"111010", 76},
    {"111011", 67},  {"111020", 62}, {"111021", 58}, {"111100", 74}, {"111101", 59}, {"111110", 57},
    {"111111", 57},  {"111120", 47}, {"111121", 23}, {"111200", 61}, {"111201", 52}, {"111210", 57},
    {"111211", 29},  {"111220", 24}, {"111221", 16}, {"112001", 71}, {"112011", 59}, {"112021", 30},
    {"112101", 58},  {"112111", 26}, {"112121", 15}, {"112201", 23}, {"112211", 13}, {"112221", 6},
    {"200000", 93},  {"200001", 87}, {"200010", 86}, {"200011", 72}, {"200020", 75}, {"200021", 58},
    {"200100", 86},  {"200101", 74}, {"200110", 74}, {"200111", 61}, {"200120", 56}, {"200121", 34},
    {"200200", 70},  {"200201", 54}, {"200210", 52}, {"200211", 40}, {"200220", 40}, {"200221", 22},
    {"201000", 85},  {"201001", 75}, {"201010", 74}, {"201011", 55}, {"201020", 62}, {"201021", 51},
    {"201100", 72},  {"201101", 57}, {"201110", 55}, {"201111", 41}, {"201120", 46}, {"201121", 19},
    {"201200", 53},  {"201201", 36}, {"201210", 34}, {"201211", 19}, {"201220", 19}, {"201221", 8},
    {"202001", 64},  {"202011", 51}, {"202021", 20}, {"202101", 47}, {"202111", 21}, {"202121", 11},
    {"202201", 24},  {"202211", 9},  {"202221", 4},  {"210000", 88}, {"210001", 75}, {"210010", 73},
    {"210011", 53},  {"210020", 60}, {"210021", 50}, {"210100", 73}, {"210101", 55}, {"210110", 59},
    {"210111", 40},  {"210120", 41}, {"210121", 20}, {"210200", 54}, {"210201", 43}, {"210210", 45},
    {"210211", 22},  {"210220", 20}, {"210221", 11}, {"211000", 75}, {"211001", 55}, {"211010", 58},
    {"211011", 45},  {"211020", 40}, {"211021", 21}, {"211100", 61}, {"211101", 51}, {"211110", 48},
    {"211111", 18},  {"211120", 20}, {"211121", 9},  {"211200", 46}, {"211201", 18}, {"211210", 17},
    {"211211", 7},   {"211220", 8},  {"211221", 2},  {"212001", 53}, {"212011", 24}, {"212021", 14},
    {"212101", 24},  {"212111", 12}, {"212121", 5},  {"212201", 10}, {"212211", 3},  {"212221", 1},
}};

// maxComposed: for each EQ level, the highest-severity vectors of that level, as partial vector
// strings, in the reference order (the first one that the scored vector does not exceed is used).
// EQ5 (E) takes no part in the severity distance and is left out.
inline constexpr std::array<std::array<std::string_view, 3>, 3> kEq1Maxes = {{
    {"AV:N/PR:N/UI:N/"},
    {"AV:A/PR:N/UI:N/", "AV:N/PR:L/UI:N/", "AV:N/PR:N/UI:P/"},
    {"AV:P/PR:N/UI:N/", "AV:A/PR:L/UI:P/"},
}};
inline constexpr std::array<std::array<std::string_view, 2>, 2> kEq2Maxes = {{
    {"AC:L/AT:N/"},
    {"AC:H/AT:N/", "AC:L/AT:P/"},
}};
// Indexed [EQ3][EQ6]; EQ3=2 with EQ6=0 does not exist.
inline constexpr std::array<std::array<std::array<std::string_view, 5>, 2>, 3> kEq3Eq6Maxes = {{
    {{
        {"VC:H/VI:H/VA:H/CR:H/IR:H/AR:H/"},
        {"VC:H/VI:H/VA:L/CR:M/IR:M/AR:H/", "VC:H/VI:H/VA:H/CR:M/IR:M/AR:M/"},
    }},
    {{
        {"VC:L/VI:H/VA:H/CR:H/IR:H/AR:H/", "VC:H/VI:L/VA:H/CR:H/IR:H/AR:H/"},
        {"VC:L/VI:H/VA:L/CR:H/IR:M/AR:H/", "VC:L/VI:H/VA:H/CR:H/IR:M/AR:M/",
         "VC:H/VI:L/VA:H/CR:M/IR:H/AR:M/", "VC:H/VI:L/VA:L/CR:M/IR:H/AR:H/",
         "VC:L/VI:L/VA:H/CR:H/IR:H/AR:M/"},
    }},
    {{
        {},
        {"VC:L/VI:L/VA:L/CR:H/IR:H/AR:H/"},
    }},
}};
inline constexpr std::array<std::string_view, 3> kEq4Maxes = {
    "SC:H/SI:S/SA:S/",
    "SC:H/SI:H/SA:H/",
    "SC:L/SI:L/SA:L/",
};

// maxSeverity: the depth of each EQ level, in severity-distance steps of 0.1 ("+1" as in the
// reference).
inline constexpr std::array<int, 3> kEq1Depth = {1, 4, 5};
inline constexpr std::array<int, 2> kEq2Depth = {1, 2};
inline constexpr std::array<std::array<int, 2>, 3> kEq3Eq6Depth = {{{7, 6}, {8, 8}, {0, 10}}};
inline constexpr std::array<int, 3> kEq4Depth = {6, 5, 4};

}  // namespace forewarn::standards::cvss40
