"""The quiz and the live class quiz: questions, the class store and the class views."""
