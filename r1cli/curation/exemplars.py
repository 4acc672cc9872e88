"""Built-in long-CoT exemplars for `r1 coldstart --mode fewshot`, written for this project: each restates the
problem, works step by step, stops to check itself ("wait, let me check"), verifies the result another way,
and closes with a short summary ending in \\boxed{}. Keyed by task; "math" is the default."""

from __future__ import annotations

from r1cli.curation.prompts import Exemplar

EXEMPLARS: dict[str, list[Exemplar]] = {
    "math": [
        Exemplar(
            "A rectangle has a perimeter of 30 cm and its length is twice its width. What is its area?",
            "We need the area of a rectangle whose perimeter is 30 cm and whose length is twice its width.\n\n"
            "Let the width be w. Then the length is 2w, and the perimeter is 2(w + 2w) = 6w.\n"
            "So 6w = 30, which gives w = 5 cm and a length of 10 cm.\n\n"
            "Wait, let me check the perimeter: 2(5 + 10) = 2 * 15 = 30. Yes, that matches.\n\n"
            "The area is length times width: 10 * 5 = 50 square centimetres.\n"
            "Verifying another way: a 10 by 5 rectangle holds two 5 by 5 squares, each of area 25, so 50. Correct.",
            "The width is 5 cm and the length 10 cm, so the area is $\\boxed{50}$ square centimetres."),
        Exemplar(
            "Find all real x with x^2 - 5x + 6 = 0. What is the sum of the solutions?",
            "The problem asks for the real roots of x^2 - 5x + 6 = 0 and then their sum.\n\n"
            "I look for two numbers whose product is 6 and whose sum is 5: 2 and 3. So x^2 - 5x + 6 = (x - 2)(x - 3), "
            "and the roots are x = 2 and x = 3.\n\n"
            "Wait, let me check by substituting: 4 - 10 + 6 = 0 and 9 - 15 + 6 = 0. Both are roots.\n\n"
            "Their sum is 2 + 3 = 5. Verifying another way, the sum of the roots of x^2 + bx + c is -b, which is 5 "
            "here. The two methods agree.",
            "The equation factors as (x - 2)(x - 3) = 0, so the roots are 2 and 3 and their sum is $\\boxed{5}$."),
    ],
    "arith": [
        Exemplar(
            "(6+2)*3",
            "We must evaluate (6+2)*3, with the parentheses first.\n"
            "6+2=8\n8*3=24\n"
            "Wait, let me check: without the parentheses it would be 6+6=12, but the sum comes first here, so 24.\n"
            "Verifying: 3*8 = 8+8+8 = 24.",
            "The sum in parentheses is 8, times 3 gives $\\boxed{24}$."),
        Exemplar(
            "9-4+7",
            "We must evaluate 9-4+7 from left to right.\n"
            "9-4=5\n5+7=12\n"
            "Wait, let me check the order: subtraction and addition go left to right, so 9-4 comes first. Yes.\n"
            "Verifying another way: 9+7=16, 16-4=12.",
            "Left to right, 9-4+7 is $\\boxed{12}$."),
    ],
    "countdown": [
        Exemplar(
            "Use 3 5 2 to make 16",
            "We need an expression using 3, 5 and 2, each once, equal to 16.\n"
            "Try 3+5=8, and 8*2=16. That reaches the target.\n"
            "Wait, let me check that every number is used once: 3, 5 and 2, yes.\n"
            "Verifying: (3+5)*2 = 8*2 = 16.",
            "Adding 3 and 5, then doubling, gives $\\boxed{(3+5)*2}$."),
    ],
}
